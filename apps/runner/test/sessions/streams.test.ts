/**
 * The structured-session adapters over real processes: the fixture CLIs (test/fixtures/claude-stream.mjs,
 * codex-json.mjs) run as child processes, their stdout read line by line as the runner will, through core's
 * adapters — and, for budgets, into the usage sums on a real Redis. These are the building blocks the runner's
 * integration wires in (see packages/core/src/sessions/README.md).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  ActivityEvent,
  ModelSpec,
  checkBudget,
  budgetLimits,
  createActivityRecorder,
  createAdapter,
  getTaskUsage,
  runArgs,
  type ActivityAdapter,
  type AdapterOptions,
  type BudgetVerdict,
  type Protocol,
} from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";
import { describe, expect, test } from "vitest";
import { FIXTURES } from "../helpers";

const fx = mkdtempSync(join(tmpdir(), "tt-streams-"));

interface Run {
  events: ActivityEvent[];
  lines: string[];
  adapter: ActivityAdapter;
  exit: { code: number | null; signal: NodeJS.Signals | null };
}

/** Runs a fixture CLI with `args`, the prompt on stdin, its stdout through an adapter line by line. */
async function runFixture(
  protocol: Protocol,
  args: string[],
  opts: {
    env?: Record<string, string>;
    adapter?: AdapterOptions;
    onSpawn?: (child: ChildProcess) => void;
    onLine?: (line: string, events: ActivityEvent[]) => void | Promise<void>;
  } = {},
): Promise<Run> {
  const adapter = createAdapter(
    protocol,
    opts.adapter ?? { modelName: protocol === "codex-json" ? "codex" : "claude" },
  );
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? "", FIXTURE_DIR: fx, TT_FIXTURE_DELAY_MS: "0", ...opts.env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  opts.onSpawn?.(child);
  child.stdin.end("Fix the failing auth test.\n");
  const events: ActivityEvent[] = [];
  const lines: string[] = [];
  let chain = Promise.resolve();
  const rl = createInterface({ input: child.stdout, crlfDelay: Infinity });
  rl.on("line", (line) => {
    lines.push(line);
    const out = adapter.push(line);
    events.push(...out);
    if (opts.onLine) chain = chain.then(() => opts.onLine!(line, out));
  });
  const exit = await new Promise<Run["exit"]>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  await chain;
  events.push(...adapter.end(exit));
  return { events, lines, adapter, exit };
}

const claude = (scenario: string, env: Record<string, string> = {}) =>
  runFixture("claude-stream-json", [join(FIXTURES, "claude-stream.mjs"), "--scenario", scenario], { env });
const codex = (scenario: string, env: Record<string, string> = {}) =>
  runFixture("codex-json", [join(FIXTURES, "codex-json.mjs"), "--scenario", scenario], { env });

const timeline = (events: ActivityEvent[]) =>
  events.filter((e) => e.kind !== "usage" && e.kind !== "cost").map((e) => e.kind);
const micros = (events: ActivityEvent[]) =>
  events.reduce((n, e) => n + (e.kind === "cost" ? Math.round(e.usd * 1e6) : 0), 0);
const lastResult = (lines: string[]) =>
  lines
    .map((l) => (l.startsWith('{"type":"result"') ? (JSON.parse(l) as Record<string, unknown>) : null))
    .filter(Boolean)
    .at(-1)!;

/** The tokens claude's result reports, over all models: what the run's usage events must add up to. */
function resultTokens(result: Record<string, unknown>) {
  const t = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
  for (const u of Object.values(result.modelUsage as Record<string, Record<string, number>>)) {
    t.input += u.inputTokens!;
    t.output += u.outputTokens!;
    t.cacheRead += u.cacheReadInputTokens!;
    t.cacheWrite += u.cacheCreationInputTokens!;
  }
  return t;
}

describe("claude stream-json, from a real process", () => {
  test("a session: the timeline, and tokens and cost that add up to what claude reported", async () => {
    const { events, lines, adapter, exit } = await claude("normal");
    expect(exit.code).toBe(0);
    expect(timeline(events)).toEqual([
      "session",
      "text",
      "text",
      "tool_call",
      "tool_result",
      "text",
      "tool_call",
      "tool_result",
      "file_edit",
      "tool_call",
      "tool_result",
      "text",
    ]);
    expect(events.find((e) => e.kind === "file_edit")).toEqual({
      kind: "file_edit",
      path: "/work/src/auth.ts",
      change: "update",
      added: 1,
      removed: 1,
    });
    const result = lastResult(lines);
    expect(adapter.state.tokens).toEqual(resultTokens(result));
    expect(micros(events)).toBe(Math.round((result.total_cost_usd as number) * 1e6));
    expect(adapter.state.turns).toEqual([{ tokens: adapter.state.tokens, usd: adapter.state.usd }]);
    expect(adapter.state.sessionId).toBe(result.session_id);
    // Estimates came first, while the turn ran: a budget can act before the result.
    const firstCost = events.findIndex((e) => e.kind === "cost");
    expect(firstCost).toBeLessThan(events.findIndex((e) => e.kind === "tool_result"));
  });

  test("malformed lines become raw or error events; the session and its sums come through intact", async () => {
    const { events, lines, adapter } = await claude("malformed");
    const raw = events.filter((e) => e.kind === "raw");
    expect(raw.map((e) => e.kind === "raw" && e.line.slice(0, 30))).toEqual([
      "Warning: no stdin data receive",
      '{"type":"assistant","message":',
      ' tail of the split line"}]}}',
      "[1,2,3]",
    ]);
    expect(events.filter((e) => e.kind === "error").map((e) => e.kind === "error" && e.message)).toEqual([
      'unreadable claude-stream-json "assistant" event: no message object',
      'unreadable claude-stream-json "session" event: unusable session id "--dangerously-skip-permissions"',
    ]);
    const result = lastResult(lines);
    expect(adapter.state.sessionId).toBe(result.session_id);
    expect(micros(events)).toBe(Math.round((result.total_cost_usd as number) * 1e6));
    expect(events.every((e) => ActivityEvent.safeParse(e).success)).toBe(true);
  });

  test("a crash mid-stream: the open tool call fails, a fatal error names the signal, the estimates stay", async () => {
    const { events, adapter, exit } = await claude("crash");
    expect(exit.signal).toBe("SIGKILL");
    expect(events.slice(-3)).toEqual([
      { kind: "raw", line: '{"type":"assistant","message":{"id":"msg_cut' },
      { kind: "tool_result", callId: "toolu_09", ok: false, output: "no result: the process ended" },
      {
        kind: "error",
        message: "the process ended (signal SIGKILL) before it reported the end of its turn",
        fatal: true,
      },
    ]);
    expect(adapter.state.tokens).toEqual({ input: 3, output: 60, cacheRead: 12850, cacheWrite: 4210 });
    expect(adapter.state.usd).toBeGreaterThan(0);
    expect(adapter.state.finished).toBe(false);
  });

  test("a rate limit: reported once with the reset claude gave", async () => {
    const { events, adapter, exit } = await claude("rate-limit", { TT_FIXTURE_RESET_AT: "1800000000" });
    expect(exit.code).toBe(1);
    expect(events.filter((e) => e.kind === "rate_limit")).toEqual([
      { kind: "rate_limit", status: "limited", until: 1_800_000_000_000, message: "five_hour limit reached" },
    ]);
    expect(adapter.state).toMatchObject({ rateLimited: { until: 1_800_000_000_000 }, failed: true });
  });

  test("per-turn cost from a running total: $0.10, then $0.25 → turns of $0.10 and $0.15", async () => {
    const { events, adapter } = await claude("two-turns");
    expect(adapter.state.turns.map((t) => t.usd)).toEqual([0.1, 0.15]);
    expect(micros(events)).toBe(250_000);
  });
});

describe("codex exec --json, from a real process", () => {
  test("a session: the timeline and its tokens, priced from the table", async () => {
    const { events, adapter, exit } = await codex("normal");
    expect(exit.code).toBe(0);
    expect(timeline(events)).toEqual([
      "session",
      "text",
      "tool_call",
      "tool_result",
      "text",
      "file_edit",
      "tool_call",
      "tool_result",
      "tool_call",
      "tool_result",
      "text",
    ]);
    expect(adapter.state.tokens).toEqual({ input: 315, output: 1220, cacheRead: 24448, cacheWrite: 0 });
    // The `codex` default price: $5 in, $30 out, $0.50 cached in, per million.
    expect(micros(events)).toBe(315 * 5 + 1220 * 30 + 24448 * 0.5);
  });

  test("malformed lines, the 2025-09 and the older formats, a crash, a usage limit", async () => {
    const bad = await codex("malformed");
    expect(bad.events.filter((e) => e.kind === "raw")).toHaveLength(3);
    expect(bad.adapter.state.tokens.output).toBe(1220);
    expect(
      (await codex("interim")).events.filter((e) => e.kind === "text").map((e) => e.kind === "text" && e.text),
    ).toEqual(["**Planning**", "Two issues are assigned to you."]);
    const legacy = await codex("legacy");
    expect(timeline(legacy.events)).toEqual([
      "raw",
      "session",
      "text",
      "tool_call",
      "tool_result",
      "file_edit",
      "file_edit",
      "text",
    ]);
    expect(legacy.adapter.state.finished).toBe(true);
    const crashed = await codex("crash");
    expect(crashed.events.at(-1)).toMatchObject({ kind: "error", fatal: true });
    expect(crashed.events.at(-2)).toMatchObject({ kind: "tool_result", callId: "item_1", ok: false });
    const limited = await codex("rate-limit");
    expect(limited.events.find((e) => e.kind === "rate_limit")).toMatchObject({
      status: "limited",
      until: expect.any(Number) as number,
    });
    expect(limited.adapter.state.failed).toBe(true);
  });
});

describe("resuming a session passes the right id", () => {
  const lastArgv = (name: string) => {
    const file = join(fx, `${name}-argv.jsonl`);
    return existsSync(file)
      ? (JSON.parse(readFileSync(file, "utf8").trim().split("\n").at(-1)!) as { argv: string[]; prompt: string })
      : null;
  };

  test("claude: no session starts cold; the task's session id goes after --resume, and claude keeps it", async () => {
    const model = ModelSpec.parse({
      command: process.execPath,
      args: [
        join(FIXTURES, "claude-stream.mjs"),
        "--scenario",
        "argv",
        "--print",
        "--output-format",
        "stream-json",
        "--verbose",
      ],
      resumeArgs: [
        join(FIXTURES, "claude-stream.mjs"),
        "--scenario",
        "argv",
        "--print",
        "--output-format",
        "stream-json",
        "--verbose",
        "--resume",
        "{sessionId}",
      ],
      protocol: "claude-stream-json",
    });
    const cold = await runFixture("claude-stream-json", runArgs(model));
    expect(lastArgv("claude")!.argv).not.toContain("--resume");
    const resumed = await runFixture("claude-stream-json", runArgs(model, cold.adapter.state.sessionId));
    expect(lastArgv("claude")).toMatchObject({
      argv: expect.arrayContaining(["--resume", cold.adapter.state.sessionId]) as string[],
      prompt: "Fix the failing auth test.\n",
    });
    expect(resumed.adapter.state.sessionId).toBe(cold.adapter.state.sessionId);
  });

  test("codex: `exec resume <id> -`, and the thread's earlier tokens are not counted again", async () => {
    const model = ModelSpec.parse({
      command: process.execPath,
      args: [join(FIXTURES, "codex-json.mjs"), "--scenario", "argv", "exec", "--json", "-"],
      resumeArgs: [
        join(FIXTURES, "codex-json.mjs"),
        "--scenario",
        "argv",
        "exec",
        "--json",
        "resume",
        "{sessionId}",
        "-",
      ],
      protocol: "codex-json",
    });
    const cold = await runFixture("codex-json", runArgs(model));
    const id = cold.adapter.state.sessionId!;
    const resumed = await runFixture("codex-json", runArgs(model, id), {
      env: { TT_FIXTURE_PREVIOUS: "24763,24448,1220" },
      adapter: { modelName: "codex", baseline: cold.adapter.state.cumulative! },
    });
    expect(lastArgv("codex")!.argv.slice(-4)).toEqual(["--json", "resume", id, "-"]);
    expect(resumed.adapter.state.sessionId).toBe(id);
    expect(resumed.adapter.state.tokens).toEqual(cold.adapter.state.tokens);
  });
});

describe("a budget crossed mid-run", () => {
  test("is seen on the line that crosses it, from the stored sums, and the process is stopped within 1 s", async () => {
    const town = await testTown({ budgets: { taskUsd: 0.1 } });
    try {
      const run = { runId: "budget-run.1", taskId: "budget-task", agentId: "budget-agent", model: "claude" };
      const recorder = createActivityRecorder(town, run);
      const limits = await budgetLimits(town, run);
      let verdict: BudgetVerdict = { ok: true };
      let crossedAt = 0;
      let child: ChildProcess | undefined;
      const script = join(FIXTURES, "claude-stream.mjs");
      const started = runFixture("claude-stream-json", [script, "--scenario", "budget"], {
        env: { TT_FIXTURE_INTERVAL_MS: "50", TT_FIXTURE_TURNS: "200" },
        onSpawn: (c) => (child = c),
        onLine: async (_line, events) => {
          if (events.length === 0 || !verdict.ok) return;
          const { spend } = await recorder.record(events);
          verdict = checkBudget(limits, spend);
          if (!verdict.ok) {
            crossedAt = Date.now();
            child!.kill("SIGTERM");
          }
        },
      });
      const { exit } = await started;
      const stoppedAt = Date.now();
      const final = verdict as BudgetVerdict;
      expect(final).toMatchObject({ ok: false, scope: "task" });
      expect(!final.ok && final.reason).toMatch(/^task budget \$0\.10 reached after \$0\.1\d+$/);
      expect(exit.signal).toBe("SIGTERM");
      expect(stoppedAt - crossedAt).toBeLessThan(1_000);
      console.log(`budget reached → process gone in ${stoppedAt - crossedAt} ms`);
      const spent = (await getTaskUsage(town, run.taskId)).usd;
      // Each response costs ~$0.0139: the run stopped on the response that reached $0.10.
      expect(spent).toBeGreaterThanOrEqual(0.1);
      expect(spent).toBeLessThan(0.1 + 0.0139);
    } finally {
      await town.close();
    }
  });
});

describe("parsing overhead", () => {
  test("µs per line for each adapter over a few thousand lines", async () => {
    const claudeLong = await runFixture(
      "claude-stream-json",
      [join(FIXTURES, "claude-stream.mjs"), "--scenario", "budget"],
      {
        env: { TT_FIXTURE_INTERVAL_MS: "0", TT_FIXTURE_TURNS: "1500" },
      },
    );
    const claudeNormal = await claude("normal");
    const codexNormal = await codex("normal");
    const corpora: [Protocol, string[]][] = [
      ["claude-stream-json", [...claudeLong.lines, ...Array.from({ length: 100 }, () => claudeNormal.lines).flat()]],
      ["codex-json", Array.from({ length: 300 }, () => codexNormal.lines).flat()],
      ["lines", Array.from({ length: 5000 }, (_, i) => `compiling module ${i} of 5000 … ok`)],
    ];
    const report: string[] = [];
    for (const [protocol, lines] of corpora) {
      let best = Infinity;
      let events = 0;
      for (let round = 0; round < 5; round++) {
        const a = createAdapter(protocol, { modelName: "claude", rateLimit: { pattern: "usage limit reached" } });
        events = 0;
        const t0 = process.hrtime.bigint();
        for (const l of lines) events += a.push(l).length;
        best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e3);
      }
      const bytes = lines.reduce((n, l) => n + l.length, 0);
      report.push(
        `${protocol.padEnd(20)} ${String(lines.length).padStart(5)} lines (${(bytes / lines.length).toFixed(0).padStart(4)} B avg) ` +
          `${(best / lines.length).toFixed(2).padStart(6)} µs/line  ${(best / Math.max(events, 1)).toFixed(2).padStart(6)} µs/event`,
      );
      // Far above what it measures (a few µs): only a pathological regression fails this.
      expect(best / lines.length).toBeLessThan(500);
    }
    console.log(`parsing overhead (best of 5):\n${report.join("\n")}`);
  });

  test("µs per line parsed and stored (one Redis script per line, and per batch of 50 lines)", async () => {
    const town = await testTown();
    try {
      const { lines } = await runFixture(
        "claude-stream-json",
        [join(FIXTURES, "claude-stream.mjs"), "--scenario", "budget"],
        {
          env: { TT_FIXTURE_INTERVAL_MS: "0", TT_FIXTURE_TURNS: "1000" },
        },
      );
      const report: string[] = [];
      for (const batch of [1, 50]) {
        const a = createAdapter("claude-stream-json", { modelName: "claude" });
        const rec = createActivityRecorder(town, {
          runId: `bench.${batch}`,
          taskId: `bench-${batch}`,
          agentId: "bench",
          model: "claude",
        });
        const t0 = process.hrtime.bigint();
        let pending: ActivityEvent[] = [];
        for (let i = 0; i < lines.length; i++) {
          pending.push(...a.push(lines[i]!));
          if ((i + 1) % batch === 0 || i === lines.length - 1) {
            await rec.record(pending);
            pending = [];
          }
        }
        const us = Number(process.hrtime.bigint() - t0) / 1e3;
        report.push(
          `batch ${String(batch).padStart(2)}: ${lines.length} lines, ${rec.seq} events, ${(us / lines.length).toFixed(1)} µs/line`,
        );
        expect((await getTaskUsage(town, `bench-${batch}`)).usd).toBeCloseTo(a.state.usd, 6);
      }
      console.log(`parse + store (claude stream, real Redis):\n${report.join("\n")}`);
    } finally {
      await town.close();
    }
  });
});
