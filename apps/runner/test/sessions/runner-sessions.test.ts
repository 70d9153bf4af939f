/**
 * Structured sessions through the runner's real run path: the fixture CLIs (claude-stream.mjs, codex-json.mjs) as
 * custom models speaking their structured protocols, launched by an in-process runner on a real Redis and BullMQ —
 * the timeline, the sums, a budget stop mid-run, a rate limit that costs no attempt, lanes, and resume.
 */
import { join } from "node:path";
import {
  agentQueue,
  agentRateLimits,
  assignTask,
  createTask,
  findTaskSession,
  getTask,
  getTaskUsage,
  peek,
  readActivity,
  readTaskLog,
  retryTask,
  setBudget,
  spawnAgent,
  taskHistory,
  type ModelSpec,
  type Task,
} from "@tinytown/core";
import { describe, expect, test } from "vitest";
import { startRunner, type RunnerHandle } from "../../src/runner";
import { parseStats } from "../../src/sessions/session-run";
import { FIXTURES, fixtureTown, pidAlive, readJsonl, waitFor, type FixtureTown, cleanupAfterEach } from "../helpers";

const CLAUDE = join(FIXTURES, "claude-stream.mjs");
const CODEX = join(FIXTURES, "codex-json.mjs");

const cleanup = cleanupAfterEach();

/** A claude-stream fixture speaking stream-json; `--resume {sessionId}` on a resumed run. */
function claudeModel(fx: string, scenario: string | null, env: Record<string, string> = {}): ModelSpec {
  const sc = scenario ? ["--scenario", scenario] : [];
  return {
    command: process.execPath,
    args: [CLAUDE, ...sc],
    resumeArgs: [CLAUDE, ...sc, "--resume", "{sessionId}"],
    prompt: "stdin",
    protocol: "claude-stream-json",
    env: { FIXTURE_DIR: fx, TT_FIXTURE_DELAY_MS: "2", ...env },
  };
}

async function setup(opts: Parameters<typeof fixtureTown>[0] = {}): Promise<FixtureTown & { runner: RunnerHandle }> {
  const ft = await fixtureTown(opts);
  cleanup(() => ft.town.close());
  const runner = await startRunner(ft.town, {
    logLevel: "silent",
    heartbeatMs: 300,
    reconcileMs: 500,
    killGraceMs: 300,
  });
  cleanup(() => runner.stop(0));
  return { ...ft, runner };
}

const settled = (t: Task) => ["completed", "failed", "cancelled"].includes(t.state);
const waitTask = (ft: FixtureTown, id: string, pred: (t: Task) => boolean = settled, ms = 15_000) =>
  waitFor(
    `task ${id.slice(0, 8)}`,
    async () => {
      const t = await getTask(ft.town, id);
      return pred(t) ? t : null;
    },
    ms,
  );

async function runTask(ft: FixtureTown, agent: string, description = "Fix the failing auth test.") {
  const task = await createTask(ft.town, { description, assignTo: agent, by: "alice" });
  return waitTask(ft, task.id);
}

/** Again on the same agent: the task's follow-up run (a retry, a review's request for changes). */
async function again(ft: FixtureTown, t: Task, agent: string) {
  const r = await retryTask(ft.town, { taskId: t.id, by: "alice" });
  await assignTask(ft.town, { taskId: r.id, agent, by: "alice" });
  return waitTask(ft, t.id, (x) => settled(x) && x.version > r.version + 1);
}

describe("claude stream-json through the runner", () => {
  test("a run is recorded end to end: timeline, readable log, tokens and cost, session kept", async () => {
    const ft = await setup({ models: (fx) => ({ claude: claudeModel(fx, "normal") }) });
    await spawnAgent(ft.town, { name: "cl", model: "claude", by: "alice" });
    const t = await runTask(ft, "cl");
    expect(t.state).toBe("completed");
    const kinds = (await readActivity(ft.town, t.id, { count: 1000 }))
      .map((e) => e.kind)
      .filter((k) => k !== "usage" && k !== "cost");
    expect(kinds).toEqual([
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
    // The fixture prices its tokens itself; total_cost_usd is what the task's sum must equal (Haiku included).
    const usage = await getTaskUsage(ft.town, t.id);
    const fixtureTotal =
      (3 * (3 + 6 + 4 + 2) + 15 * (118 + 204 + 96 + 41) + 0.3 * (12850 + 17060 + 17370 + 17882)) / 1e6 +
      (3.75 * (4210 + 310 + 512 + 118)) / 1e6 +
      (1 * 612 + 5 * 41) / 1e6;
    expect(usage.usd).toBeCloseTo(fixtureTotal, 6);
    expect(usage.tokens.output).toBe(118 + 204 + 96 + 41 + 41);
    expect(usage.runs).toBe(1);
    const log = (await readTaskLog(ft.town, t.id, { count: 1000 })).map((l) => l.line);
    expect(log).toContain("▶ Bash npm test -- auth");
    expect(log).toContain("✎ update /work/src/auth.ts +1 -1");
    expect(log.some((l) => l.startsWith("usage: tokens"))).toBe(true);
    expect(log.some((l) => l.startsWith('{"type"'))).toBe(false);
    expect(t.result).toContain("All 12 auth tests pass.");
    const session = await findTaskSession(ft.town, t.id);
    expect(session).toMatchObject({ model: "claude", protocol: "claude-stream-json" });
    expect(kinds[0]).toBe("session");
  });

  test("parsing overhead per event in the runner's path (adapter + readable line), measured", async () => {
    // 300 responses and tool results as fast as the fixture writes them (the budget scenario, with no budget).
    const env = { TT_FIXTURE_DELAY_MS: "0", TT_FIXTURE_INTERVAL_MS: "0", TT_FIXTURE_TURNS: "300" };
    const ft = await setup({ models: (fx) => ({ claude: claudeModel(fx, "budget", env) }) });
    await spawnAgent(ft.town, { name: "cl", model: "claude", by: "alice" });
    const before = { ...parseStats };
    const t = await runTask(ft, "cl");
    expect(t.state).toBe("completed");
    expect((await readActivity(ft.town, t.id, { count: 5000 })).length).toBe(parseStats.events - before.events);
    const lines = parseStats.lines - before.lines;
    const events = parseStats.events - before.events;
    const us = Number(parseStats.ns - before.ns) / 1e3;
    console.log(
      `parsing in the runner: ${lines} lines, ${events} events, ${(us / lines).toFixed(1)} µs/line, ${(us / events).toFixed(1)} µs/event`,
    );
    expect(events).toBeGreaterThan(900);
    expect(us / events).toBeLessThan(200);
  });

  test("a follow-up run of the same task resumes its session: the CLI gets --resume <that id>", async () => {
    // The first run crashes after its init (SIGKILL: retried within the attempts); the retry resumes.
    const ft = await setup({
      models: (fx) => ({
        claude: { ...claudeModel(fx, "crash"), resumeArgs: [CLAUDE, "--scenario", "argv", "--resume", "{sessionId}"] },
      }),
    });
    await spawnAgent(ft.town, { name: "cl", model: "claude", by: "alice" });
    const t = await runTask(ft, "cl");
    expect(t).toMatchObject({ state: "completed", attempts: 2 });
    const sessions = (await readActivity(ft.town, t.id, { count: 1000 })).flatMap((e) =>
      e.kind === "session" ? [e.sessionId] : [],
    );
    expect(new Set(sessions).size).toBe(1);
    const argv = readJsonl<{ argv: string[] }>(join(ft.fx, "claude-argv.jsonl")).map((r) => r.argv);
    expect(argv).toHaveLength(1);
    expect(argv[0]!.slice(-2)).toEqual(["--resume", sessions[0]]);
    expect((await findTaskSession(ft.town, t.id))?.sessionId).toBe(sessions[0]);
  });
});

describe("budgets", () => {
  test("a run crossing its task budget is stopped within 1 s, fails with the reason, tells the supervisor; no new run until it is raised", async () => {
    const ft = await setup({
      models: (fx) => ({ claude: claudeModel(fx, "budget", { TT_FIXTURE_INTERVAL_MS: "100" }) }),
      config: { budgets: { taskUsd: 0.05 } },
    });
    await spawnAgent(ft.town, { name: "cl", model: "claude", by: "alice" });
    const task = await createTask(ft.town, { description: "spend", assignTo: "cl", by: "alice" });
    const evidence = join(ft.fx, "claude-budget-sent.jsonl");
    const first = await waitFor("a response", () => readJsonl<{ pid: number }>(evidence)[0]);
    // Watch the process: when does it die?
    let diedAt = 0;
    await waitFor(
      "process gone",
      () => {
        if (pidAlive(first.pid)) return null;
        diedAt = Date.now();
        return true;
      },
      15_000,
      2,
    );
    const t = await waitTask(ft, task.id);
    const rows = readJsonl<{ n: number; at: number; usd: number }>(evidence);
    const crossing = rows.find((r) => r.usd >= 0.05)!;
    expect(crossing).toBeDefined();
    const stopMs = diedAt - crossing.at;
    console.log(`budget stop: process gone ${stopMs} ms after the crossing response (${rows.length} responses)`);
    expect(stopMs).toBeLessThan(1_000);
    expect(rows.filter((r) => r.usd >= 0.05).length).toBeLessThanOrEqual(2);
    expect(t.state).toBe("failed");
    expect(t.error).toMatch(/^task budget \$0\.05 reached after \$0\.0[5-9]\d*/);
    const sup = await peek(ft.town, "supervisor");
    expect(sup.some((m) => m.type === "task_failed" && m.body.includes("budget $0.05 reached"))).toBe(true);

    // Tried again: refused before any process starts.
    const refused = await again(ft, t, "cl");
    expect(refused.state).toBe("failed");
    expect(refused.error).toMatch(/^task budget \$0\.05 reached/);
    expect(new Set(readJsonl<{ pid: number }>(evidence).map((r) => r.pid)).size).toBe(1);

    // Raised: it runs again (and stops at the new budget).
    await setBudget(ft.town, { scope: "task", ref: t.id, usd: 0.1, by: "alice" });
    const rerun = await again(ft, refused, "cl");
    expect(rerun.error).toMatch(/^task budget \$0\.10 reached/);
    expect(new Set(readJsonl<{ pid: number }>(evidence).map((r) => r.pid)).size).toBe(2);
  });
  test("an agent's daily budget reached: its next task fails before any process starts, with the reason", async () => {
    const ft = await setup({ models: (fx) => ({ claude: claudeModel(fx, "argv") }) });
    await spawnAgent(ft.town, { name: "cl", model: "claude", by: "alice" });
    // The argv run costs ~$0.0004 at the fixture's prices; then the agent's budget is set below what it spent.
    expect((await runTask(ft, "cl", "first")).state).toBe("completed");
    await setBudget(ft.town, { scope: "agent", ref: "cl", usd: 0.0001, by: "alice" });
    const second = await runTask(ft, "cl", "second");
    expect(second.state).toBe("failed");
    expect(second.error).toMatch(/^agent's daily budget \$0\.00010 reached after \$0\.00\d+/);
    expect(readJsonl(join(ft.fx, "claude-argv.jsonl"))).toHaveLength(1);
  });
});

describe("rate limits", () => {
  test("a rate_limit_event puts the task back until the reset without counting an attempt; the agent shows it", async () => {
    const resetAt = Math.ceil(Date.now() / 1000) + 3;
    const ft = await setup({
      models: (fx) => ({ claude: claudeModel(fx, "rate-limit", { TT_FIXTURE_RESET_AT: String(resetAt) }) }),
    });
    const agent = await spawnAgent(ft.town, { name: "cl", model: "claude", by: "alice" });
    const task = await createTask(ft.town, { description: "limited", assignTo: "cl", by: "alice" });
    const deferred = await waitTask(ft, task.id, (t) => t.state === "assigned" && t.version > task.version + 1);
    expect(deferred.attempts).toBe(0);
    expect(deferred.error).toMatch(/^rate-limited: /);
    expect((await agentRateLimits(ft.town)).get(agent.id)).toBe(resetAt * 1000);
    const delayed = await agentQueue(ft.town, agent.id).getDelayed();
    expect(delayed.map((j) => j.data.taskId)).toEqual([task.id]);
    // After the reset it runs again (and is limited again: the fixture always is), still no attempt counted.
    const started = async () => (await taskHistory(ft.town, task.id)).filter((e) => e.type === "task.started");
    const starts = await waitFor(
      "second start",
      async () => ((await started()).length >= 2 ? started() : null),
      10_000,
    );
    expect(starts[1]!.at).toBeGreaterThanOrEqual(resetAt * 1000 - 50);
    const back = await waitTask(ft, task.id, (t) => t.state === "assigned" && t.version > deferred.version + 1);
    expect(back.attempts).toBe(0);
  });

  test("a line model's configured rate-limit pattern defers its task until the reset, without an attempt", async () => {
    const reset = Math.floor(Date.now() / 1000) + 600;
    const ft = await setup({
      models: (fx) => ({
        plain: {
          command: process.execPath,
          args: [join(FIXTURES, "say.mjs")],
          prompt: "stdin",
          env: { FIXTURE_DIR: fx, TT_FIXTURE_LINE: `Claude AI usage limit reached|${reset}`, TT_FIXTURE_EXIT: "1" },
          rateLimit: { pattern: "usage limit reached\\|(?<reset>\\d{10})" },
        },
      }),
    });
    const agent = await spawnAgent(ft.town, { name: "pl", model: "plain", by: "alice" });
    const task = await createTask(ft.town, { description: "limited", assignTo: "pl", by: "alice" });
    const t = await waitTask(ft, task.id, (x) => x.state === "assigned" && x.version > task.version + 1);
    expect(t).toMatchObject({ attempts: 0 });
    expect((await agentRateLimits(ft.town)).get(agent.id)).toBe(reset * 1000);
    // The line model's output stays plain: its timeline holds only the rate limit.
    expect((await readActivity(ft.town, task.id)).map((e) => e.kind)).toEqual(["rate_limit"]);
  });

  test("lanes: a rate-limited lane's work moves to another lane of the same model at once", async () => {
    const ft = await setup({
      models: (fx) => ({ claude: claudeModel(fx, null) }),
      config: {
        lanes: {
          claude: [
            { name: "team", env: { TT_FIXTURE_SCENARIO: "rate-limit" } },
            { name: "personal", env: { TT_FIXTURE_SCENARIO: "normal" } },
          ],
        },
      },
    });
    const agent = await spawnAgent(ft.town, { name: "cl", model: "claude", by: "alice" });
    const t = await runTask(ft, "cl");
    expect(t.state).toBe("completed");
    expect(t.attempts).toBe(1);
    // The agent itself is not shown as limited: another lane served it.
    expect((await agentRateLimits(ft.town)).has(agent.id)).toBe(false);
    const log = (await readTaskLog(ft.town, t.id, { count: 1000 })).map((l) => l.line);
    expect(log).toContain("lane team");
    // A session lives in one account: the other lane starts cold.
    expect(log).toContain("lane personal");
  });
});

describe("codex json through the runner", () => {
  test("a codex run records its timeline and priced tokens; its retry resumes the thread", async () => {
    const model = (fx: string): ModelSpec => ({
      command: process.execPath,
      args: [CODEX, "--scenario", "crash"],
      resumeArgs: [CODEX, "--scenario", "argv", "resume", "{sessionId}", "-"],
      prompt: "stdin",
      protocol: "codex-json",
      env: { FIXTURE_DIR: fx, TT_FIXTURE_DELAY_MS: "1" },
    });
    const ft = await setup({ models: (fx) => ({ codex: model(fx) }) });
    await spawnAgent(ft.town, { name: "cx", model: "codex", by: "alice" });
    const t = await runTask(ft, "cx");
    expect(t).toMatchObject({ state: "completed", attempts: 2 });
    const thread = (await findTaskSession(ft.town, t.id))!.sessionId;
    const argv = readJsonl<{ argv: string[] }>(join(ft.fx, "codex-argv.jsonl")).map((r) => r.argv);
    expect(argv).toHaveLength(1);
    expect(argv[0]!.slice(-3)).toEqual(["resume", thread, "-"]);
    const kinds = (await readActivity(ft.town, t.id, { count: 1000 })).map((e) => e.kind);
    expect(kinds).toContain("tool_call");
    expect((await getTaskUsage(ft.town, t.id)).tokens.output).toBeGreaterThan(0);
  });
});
