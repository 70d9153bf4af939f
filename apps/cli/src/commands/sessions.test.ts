/**
 * `tt logs`, `tt task show`, `tt status` and `tt budget` over a structured session: activity and usage recorded
 * through core (as the runner records them) on a real Redis, read back by the CLI in-process.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  connectTown,
  createTask,
  recordActivity,
  setRateLimited,
  spawnAgent,
  type ActivityEvent,
  type Agent,
  type Task,
  type Town,
} from "@tinytown/core";
import { tt, townDir } from "../testing";

let dir: string;
let town: Town;
let agent: Agent;
let task: Task;

const EVENTS: ActivityEvent[] = [
  { kind: "session", sessionId: "sess-1", model: "claude-sonnet-4-5" },
  { kind: "text", text: "I'll run the tests." },
  { kind: "tool_call", callId: "t1", name: "Bash", summary: "npm test" },
  { kind: "tool_result", callId: "t1", ok: false, output: "FAIL src/auth.test.ts", exitCode: 1 },
  { kind: "file_edit", path: "src/auth.ts", change: "update", added: 1, removed: 1 },
  { kind: "usage", tokens: { input: 1000, output: 500, cacheRead: 0, cacheWrite: 0 }, model: "claude-sonnet-4-5" },
  { kind: "cost", usd: 0.0105, source: "estimated", model: "claude-sonnet-4-5" },
  { kind: "error", message: "the tool timed out" },
];

beforeAll(async () => {
  ({ dir } = await townDir());
  town = await connectTown({ cwd: dir, env: {} });
  agent = await spawnAgent(town, { name: "cl", model: "claude", by: "alice" });
  task = await createTask(town, { description: "fix auth", by: "alice" });
  await recordActivity(
    town,
    { runId: `${task.id}.1.aa`, taskId: task.id, agentId: agent.id, model: "claude" },
    EVENTS.map((event, i) => ({ seq: i + 1, event })),
  );
});
afterAll(() => town.close());

describe("tt logs over activity", () => {
  test("renders the events readably: tool calls, failed results, edits, errors; usage lines left out", async () => {
    const r = await tt(dir, ["logs", task.id]);
    expect(r.code).toBe(0);
    const lines = r.out
      .trimEnd()
      .split("\n")
      .map((l) => l.replace(/^\d\d:\d\d:\d\d /, ""));
    expect(lines).toEqual([
      "session sess-1 (claude-sonnet-4-5)",
      "I'll run the tests.",
      "▶ Bash npm test",
      "  ✗ exit 1: FAIL src/auth.test.ts",
      "✎ update src/auth.ts +1 -1",
      "error: the tool timed out",
    ]);
  });

  test("--json gives the events raw, usage and cost included", async () => {
    const r = await tt(dir, ["--json", "logs", task.id]);
    const rows = r.out
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as ActivityEvent & { id: string });
    expect(rows.map((e) => e.kind)).toEqual(EVENTS.map((e) => e.kind));
    expect(rows[2]).toMatchObject({ kind: "tool_call", name: "Bash", summary: "npm test", run: `${task.id}.1.aa` });
  });

  test("--raw shows the plain output instead", async () => {
    const r = await tt(dir, ["logs", task.id, "--raw"]);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain("▶ Bash");
  });
});

describe("tokens and cost", () => {
  test("tt task show has the task's tokens and cost", async () => {
    const r = await tt(dir, ["task", "show", task.id]);
    expect(r.out).toMatch(/Usage\s+tokens 1,000 in \/ 500 out · \$0\.01\b over 1 run/);
    const j = JSON.parse((await tt(dir, ["--json", "task", "show", task.id])).out) as { usage: { usd: number } };
    expect(j.usage.usd).toBeCloseTo(0.0105, 6);
  });

  test("tt status has today's and this week's usage for the town", async () => {
    const r = await tt(dir, ["status"]);
    expect(r.out).toMatch(/Today\s+tokens 1,000 in \/ 500 out · \$0\.01\b/);
    expect(r.out).toMatch(/This week\s+tokens 1,000 in \/ 500 out · \$0\.01\b/);
  });
});

describe("tt budget", () => {
  test("set and show the town's and an agent's daily budgets; none goes back to the default", async () => {
    expect((await tt(dir, ["budget", "set", "town", "$20"])).out).toContain("the town (per day): $20.00");
    expect((await tt(dir, ["budget", "set", "agent", "cl", "5"])).code).toBe(0);
    const show = await tt(dir, ["--json", "budget", "show"]);
    const j = JSON.parse(show.out) as { town: { limitUsd: number; spentTodayUsd: number }; agents: unknown[] };
    expect(j.town).toEqual({ limitUsd: 20, spentTodayUsd: 0.0105 });
    expect(j.agents).toEqual([{ agent: "cl", agentId: agent.id, limitUsd: 5, spentTodayUsd: 0.0105 }]);
    expect((await tt(dir, ["budget", "set", "agent", "cl", "none"])).out).toContain("back to the config's default");
    const after = JSON.parse((await tt(dir, ["--json", "budget", "show"])).out) as { agents: { limitUsd: unknown }[] };
    expect(after.agents[0]!.limitUsd).toBeNull();
  });

  test("bad input: a clear error and nothing changed", async () => {
    const before = await town.redis.hgetall(town.keys.budgets);
    for (const [args, message] of [
      [["budget", "set", "galaxy", "5"], /unknown budget scope "galaxy"/],
      [["budget", "set", "town", "-3"], /"-3" is not an amount/],
      [["budget", "set", "agent", "cl"], /names its agent and an amount/],
      [["budget", "set", "agent", "nobody", "5"], /nobody/],
      [["budget", "set", "town", "5", "6"], /takes only an amount/],
    ] as const) {
      const r = await tt(dir, [...args]);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(message);
    }
    expect(await town.redis.hgetall(town.keys.budgets)).toEqual(before);
  });
});

describe("tt list", () => {
  test("shows an agent rate-limited until its reset (and --json has rateLimitedUntil)", async () => {
    const until = Date.UTC(2099, 0, 1, 14, 5);
    await setRateLimited(town, { agentId: agent.id, until, by: "runner:r1" });
    expect((await tt(dir, ["list"])).out).toContain("rate-limited until 14:05 UTC");
    const rows = JSON.parse((await tt(dir, ["--json", "list"])).out) as { name: string; rateLimitedUntil?: number }[];
    expect(rows.find((r) => r.name === "cl")?.rateLimitedUntil).toBe(until);
  });
});
