/** Activity storage and usage sums on a real Redis: what is stored, what is summed, and never twice. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isCoreError } from "../errors";
import { createTask } from "../task/task.service";
import { dumpTown, testTown } from "../testing";
import type { Town } from "../town/town";
import type { ActivityEvent } from "./activity";
import { followActivity, readActivity } from "./activity-log";
import { dayKey } from "./budget-rules";
import { ACTIVITY_MAX_LEN, createActivityRecorder, recordActivity } from "./record";
import { getAgentUsage, getRunUsage, getTaskUsage, getTasksUsage, getTownUsage, usageGauges } from "./usage";

let town: Town;
beforeAll(async () => {
  town = await testTown();
});
afterAll(() => town.close());

const T = (input: number, output: number, cacheRead = 0, cacheWrite = 0) => ({ input, output, cacheRead, cacheWrite });
const SONNET = "claude-sonnet-4-5-20250929";
const SESSION: ActivityEvent[] = [
  { kind: "session", sessionId: "s-1", model: SONNET },
  { kind: "text", text: "Looking." },
  { kind: "tool_call", callId: "t1", name: "Bash", summary: "npm test" },
  { kind: "usage", tokens: T(3, 100, 12_000, 4_000), model: SONNET },
  { kind: "cost", usd: 0.020_601, source: "estimated", model: SONNET },
  { kind: "tool_result", callId: "t1", ok: false, output: "1 failed" },
  { kind: "file_edit", path: "src/a.ts", change: "update", added: 1, removed: 1 },
  { kind: "usage", tokens: T(0, -20, 0, 0), model: SONNET },
  { kind: "cost", usd: -0.000_3, source: "reported", model: SONNET },
  { kind: "usage", tokens: T(600, 40), model: "claude-haiku-4-5-20251001" },
  { kind: "cost", usd: 0.000_8, source: "reported", model: "claude-haiku-4-5-20251001" },
];
const numbered = (events: ActivityEvent[], from = 1) => events.map((event, i) => ({ seq: from + i, event }));
let n = 0;
const run = (over: Partial<{ runId: string; taskId: string; agentId: string; model: string }> = {}) => ({
  runId: `r-${++n}`,
  taskId: `task-${n}`,
  agentId: `agent-${n}`,
  model: "claude",
  ...over,
});

describe("recording a run's activity", () => {
  test("the timeline reads back in order; usage and cost add up in every sum, corrections included", async () => {
    const r = run();
    const res = await recordActivity(town, r, numbered(SESSION));
    expect(res).toEqual({
      applied: SESSION.length,
      lastSeq: SESSION.length,
      spend: { task: 0.021101, agentDay: 0.021101, townDay: 0.021101 },
    });
    const entries = await readActivity(town, r.taskId);
    expect(entries.map(({ id: _i, at: _a, run: _r, ...e }) => e)).toEqual(SESSION);
    expect(entries.every((e) => e.run === r.runId && e.at > 0)).toBe(true);

    const expected = { tokens: T(603, 120, 12_000, 4_000), unpricedTokens: 0, usd: 0.021101, runs: 1 };
    expect(await getTaskUsage(town, r.taskId)).toEqual(expected);
    expect(await getRunUsage(town, r.runId)).toMatchObject({
      ...expected,
      runs: 0,
      taskId: r.taskId,
      agentId: r.agentId,
      model: "claude",
    });
    const agent = await getAgentUsage(town, r.agentId);
    expect(agent.today).toEqual(expected);
    expect(agent.week).toEqual(expected);
    expect(agent.total).toEqual(expected);
    const tu = await getTownUsage(town);
    expect(tu.byModel.map((m) => [m.model, m.today.usd, m.today.tokens.input])).toEqual([
      [SONNET, 0.020301, 3],
      ["claude-haiku-4-5-20251001", 0.0008, 600],
    ]);
  });

  test("a batch sent again changes nothing; an overlapping one adds only what is new", async () => {
    const r = run();
    const first = numbered(SESSION.slice(0, 5));
    await recordActivity(town, r, first);
    const again = await recordActivity(town, r, first);
    expect(again).toMatchObject({ applied: 0, lastSeq: 5 });
    const overlap = await recordActivity(town, r, numbered(SESSION.slice(3), 4));
    expect(overlap).toMatchObject({ applied: SESSION.length - 5, lastSeq: SESSION.length });
    expect(await readActivity(town, r.taskId, { count: 1000 })).toHaveLength(SESSION.length);
    expect((await getTaskUsage(town, r.taskId)).usd).toBe(0.021101);
    expect((await getTaskUsage(town, r.taskId)).runs).toBe(1);
  });

  test("the recorder numbers events and its retry after a lost reply counts nothing twice", async () => {
    const r = run();
    const rec = createActivityRecorder(town, r);
    await rec.record(SESSION.slice(0, 4));
    // The reply of this call is "lost": the caller sends the same numbered events again.
    await recordActivity(town, r, numbered(SESSION.slice(4, 6), 5));
    await recordActivity(town, r, numbered(SESSION.slice(4, 6), 5));
    expect(rec.seq).toBe(4);
    expect((await getTaskUsage(town, r.taskId)).usd).toBe(0.020601);
  });

  test("runs of one task, and tasks of one agent, add up; unpriced tokens are counted apart", async () => {
    const taskId = "task-shared";
    const agentId = "agent-shared";
    await recordActivity(
      town,
      run({ taskId, agentId }),
      numbered([{ kind: "usage", tokens: T(10, 1), unpriced: true }]),
    );
    await recordActivity(
      town,
      run({ taskId, agentId }),
      numbered([
        { kind: "usage", tokens: T(5, 5) },
        { kind: "cost", usd: 0.5, source: "estimated" },
      ]),
    );
    await recordActivity(
      town,
      run({ taskId: "task-other", agentId }),
      numbered([{ kind: "cost", usd: 0.25, source: "reported" }]),
    );
    expect(await getTaskUsage(town, taskId)).toEqual({ tokens: T(15, 6), unpricedTokens: 11, usd: 0.5, runs: 2 });
    expect((await getAgentUsage(town, agentId)).total).toMatchObject({ usd: 0.75, runs: 3 });
    expect(await getTasksUsage(town, [taskId, "task-other", "task-none"])).toMatchObject({
      [taskId]: { usd: 0.5 },
      "task-other": { usd: 0.25 },
      "task-none": { usd: 0, runs: 0 },
    });
  });

  test("daily sums fall on the day of the event in the town's time zone; the week adds them up", async () => {
    const paris = await testTown({ budgets: { timeZone: "Europe/Paris" } });
    try {
      const day1 = Date.UTC(2026, 4, 12, 22, 30); // 00:30 on the 13th in Paris
      const day2 = day1 + 86_400_000;
      const r = run();
      await recordActivity(paris, r, numbered([{ kind: "cost", usd: 1, source: "reported" }]), day1);
      await recordActivity(
        paris,
        r,
        numbered([{ kind: "cost", usd: 2, source: "reported", model: "gpt-5.4" }], 2),
        day2,
      );
      const agent = await getAgentUsage(paris, r.agentId, { now: day2 });
      expect(agent.days.map((d) => [d.day, d.usage.usd]).slice(-2)).toEqual([
        ["2026-05-13", 1],
        ["2026-05-14", 2],
      ]);
      expect([agent.today.usd, agent.week.usd, agent.total.usd]).toEqual([2, 3, 3]);
      const tu = await getTownUsage(paris, { now: day2 });
      expect([tu.today.usd, tu.week.usd, tu.total.usd]).toEqual([2, 3, 3]);
      expect(tu.byModel.map((m) => [m.model, m.today.usd, m.week.usd])).toEqual([
        ["gpt-5.4", 2, 2],
        ["claude", 0, 1],
      ]);
      expect(dayKey(day1, "Europe/Paris")).toBe("2026-05-13");
      expect(await paris.redis.ttl(paris.keys.usageTownDay("2026-05-13"))).toBeGreaterThan(300 * 86_400);
    } finally {
      await paris.close();
    }
  });

  test("bad input is refused and writes nothing", async () => {
    const before = await dumpTown(town);
    const refused = async (p: Promise<unknown>) => {
      const err = await p.catch((e: unknown) => e);
      expect(isCoreError(err, "VALIDATION"), String(err)).toBe(true);
    };
    await refused(recordActivity(town, run({ runId: "-x" }), numbered(SESSION)));
    await refused(recordActivity(town, run({ taskId: "" }), numbered(SESSION)));
    await refused(recordActivity(town, run(), [{ seq: 0, event: SESSION[0]! }]));
    await refused(recordActivity(town, run(), [{ seq: 1.5, event: SESSION[0]! }]));
    expect(await dumpTown(town)).toEqual(before);
  });

  test("the stream is capped and expires; gauges for /api/metrics", async () => {
    const r = run();
    const rec = createActivityRecorder(town, r);
    for (let i = 0; i < 3; i++)
      await rec.record(Array.from({ length: 3_000 }, (): ActivityEvent => ({ kind: "raw", line: "x" })));
    expect(await town.redis.xlen(town.keys.activity(r.taskId))).toBeLessThan(ACTIVITY_MAX_LEN * 1.2);
    expect(await town.redis.ttl(town.keys.activity(r.taskId))).toBeGreaterThan(0);
    const gauges = await usageGauges(town);
    expect(gauges.map((g) => g.name)).toEqual([
      "tinytown_cost_usd_total",
      "tinytown_tokens_total",
      "tinytown_cost_usd_today",
      "tinytown_tokens_today",
    ]);
    expect(gauges[0]!.values[0]!.value).toBeGreaterThan(0);
    expect(gauges[2]!.values).toContainEqual({ labels: { model: SONNET }, value: expect.any(Number) as number });
  });

  test("follow: new entries as they come; with untilDone it ends when the task is settled", async () => {
    const task = await createTask(town, { description: "follow me", by: "cli" });
    const r = run({ taskId: task.id });
    const conn = town.blocking().duplicate();
    const seen: string[] = [];
    const done = (async () => {
      for await (const e of followActivity(town, task.id, { untilDone: true, blockMs: 100, connection: conn }))
        seen.push(e.kind);
    })();
    const rec = createActivityRecorder(town, r);
    await rec.record([{ kind: "text", text: "a" }]);
    await rec.record([{ kind: "tool_call", name: "Bash", summary: "ls" }]);
    await new Promise((res) => setTimeout(res, 200));
    await town.redis.hset(town.keys.task(task.id), "state", "completed");
    await done;
    conn.disconnect();
    expect(seen).toEqual(["text", "tool_call"]);
  });
});
