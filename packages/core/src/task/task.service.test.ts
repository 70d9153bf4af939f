import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { testTown } from "../testing";
import {
  dumpTown,
  expectCoreError,
  expectRefusedUnchanged,
  expectTaskIndexesConsistent,
  sleep,
} from "../testing/inspect";
import { spawnAgent } from "../agent/agent.service";
import { killAgent } from "../agent/lifecycle";
import { lastEventId, readEvents } from "../channel/events";
import { drain } from "../channel/channel";
import { agentQueue } from "../dispatch/dispatch";
import type { Agent } from "../agent/agent";
import type { Town } from "../town/town";
import { TASK_STATES, type Task, type TaskState } from "./task";
import {
  assignTask,
  cancelTask,
  claimTask,
  completeTask,
  countTasks,
  createTask,
  failTask,
  findTask,
  getTask,
  listBacklog,
  listTasks,
  requeueTask,
  retryTask,
  startTask,
  unassignTask,
} from "./task.service";

let town: Town;
let alpha: Agent;
let beta: Agent;

beforeAll(async () => {
  town = await testTown({}, "task");
  alpha = await spawnAgent(town, { name: "alpha", model: "claude", by: "cli" });
  beta = await spawnAgent(town, { name: "beta", model: "claude", by: "cli" });
});
afterAll(() => town.close());

const RUNNER = "runner:test";

/** A fresh task brought to `state` through legal transitions (assigned/running ones on alpha). */
async function taskIn(state: TaskState, description = `task in ${state}`): Promise<Task> {
  const pending = () => createTask(town, { description, by: "cli" });
  const assigned = () => createTask(town, { description, assignTo: "alpha", by: "cli" });
  const running = async () => startTask(town, { taskId: (await assigned()).id, agentId: alpha.id, by: RUNNER });
  switch (state) {
    case "pending":
      return pending();
    case "assigned":
      return assigned();
    case "running":
      return running();
    case "completed":
      return completeTask(town, { taskId: (await running()).id, result: "done", by: "cli" });
    case "failed":
      return failTask(town, { taskId: (await running()).id, error: "exit 1", by: "cli" });
    case "cancelled":
      return cancelTask(town, { taskId: (await pending()).id, by: "cli" });
  }
}

/**
 * Runs one transition and checks its contract: the returned task is what is stored, the version went up by
 * exactly one, exactly the expected events were appended (describing the change), and the indexes agree.
 */
async function step(
  before: Task | null,
  run: () => Promise<Task>,
  expected: { to: TaskState; event: string; extraEvents?: string[] },
): Promise<Task> {
  const from = await lastEventId(town);
  const after = await run();
  expect(after.state).toBe(expected.to);
  expect(after.version).toBe(before ? before.version + 1 : 1);
  expect(await getTask(town, after.id)).toEqual(after);
  const events = await readEvents(town, { after: from });
  expect(events.map((e) => e.type)).toEqual([expected.event, ...(expected.extraEvents ?? [])]);
  expect(events[0]).toMatchObject({
    taskId: after.id,
    from: before?.state ?? null,
    to: after.state,
    version: after.version,
    agentId: after.assignedTo,
  });
  await expectTaskIndexesConsistent(town);
  return after;
}

const jobsOf = async (agentId: string, taskId: string) =>
  (await agentQueue(town, agentId).getJobs(["waiting", "prioritized", "delayed"], 0, 1000)).filter(
    (j) => j.data.taskId === taskId,
  );

describe("legal transitions", () => {
  test("create: pending, in the backlog, version 1, one task.created", async () => {
    const t = await step(
      null,
      () =>
        createTask(town, { description: "write tests", priority: "high", tags: ["Core", "tests", "core"], by: "ana" }),
      {
        to: "pending",
        event: "task.created",
      },
    );
    expect(t).toMatchObject({
      assignedTo: null,
      priority: "high",
      tags: ["core", "tests"],
      createdBy: "ana",
      updatedBy: "ana",
      attempts: 0,
    });
    expect(await town.redis.zscore(town.keys.backlog, t.id)).not.toBeNull();
  });

  test("create assigned: assigned to the agent, not in the backlog, a run is queued", async () => {
    const t = await step(null, () => createTask(town, { description: "pre-assigned", assignTo: "ALPHA", by: "cli" }), {
      to: "assigned",
      event: "task.created",
    });
    expect(t.assignedTo).toBe(alpha.id);
    expect(await town.redis.zscore(town.keys.backlog, t.id)).toBeNull();
    expect(await jobsOf(alpha.id, t.id)).toHaveLength(1);
  });

  test("assign, reassign, unassign", async () => {
    const t0 = await taskIn("pending");
    const t1 = await step(t0, () => assignTask(town, { taskId: t0.id, agent: "alpha", by: "ana" }), {
      to: "assigned",
      event: "task.assigned",
    });
    expect(t1).toMatchObject({ assignedTo: alpha.id, updatedBy: "ana" });
    expect(await jobsOf(alpha.id, t0.id)).toHaveLength(1);

    const t2 = await step(t1, () => assignTask(town, { taskId: t0.id, agent: beta.id, by: "cli" }), {
      to: "assigned",
      event: "task.assigned",
    });
    expect(t2.assignedTo).toBe(beta.id);
    expect((await readEvents(town, { count: 1 }))[0]).toMatchObject({ prevAgentId: alpha.id, agentId: beta.id });
    expect(await jobsOf(alpha.id, t0.id)).toHaveLength(0);
    expect(await jobsOf(beta.id, t0.id)).toHaveLength(1);

    const t3 = await step(t2, () => unassignTask(town, { taskId: t0.id, by: "cli" }), {
      to: "pending",
      event: "task.unassigned",
    });
    expect(t3.assignedTo).toBeNull();
    expect(await town.redis.zscore(town.keys.backlog, t0.id)).not.toBeNull();
    expect(await jobsOf(beta.id, t0.id)).toHaveLength(0);
  });

  test("start counts an attempt; complete reports task_done to the supervisor", async () => {
    const t0 = await taskIn("assigned");
    const t1 = await step(t0, () => startTask(town, { taskId: t0.id, agentId: alpha.id, by: RUNNER }), {
      to: "running",
      event: "task.started",
    });
    expect(t1.attempts).toBe(1);
    expect(t1.startedAt).toBeGreaterThan(0);
    await drain(town, "supervisor", 1000);
    const t2 = await step(t1, () => completeTask(town, { taskId: t0.id, result: "all green", by: "alpha" }), {
      to: "completed",
      event: "task.completed",
      extraEvents: ["message.sent"],
    });
    expect(t2).toMatchObject({ result: "all green", assignedTo: alpha.id });
    expect(t2.completedAt).toBeGreaterThanOrEqual(t1.startedAt!);
    const [report, ...rest] = await drain(town, "supervisor", 1000);
    expect(rest).toHaveLength(0);
    expect(report).toMatchObject({
      type: "task_done",
      correlationId: t0.id,
      from: "alpha",
      data: { taskId: t0.id, agentId: alpha.id },
    });
  });

  test("fail stores the reason and reports task_failed (high) to the supervisor", async () => {
    const t0 = await taskIn("running");
    await drain(town, "supervisor", 1000);
    const t1 = await step(t0, () => failTask(town, { taskId: t0.id, error: "exit 2: boom", by: "cli" }), {
      to: "failed",
      event: "task.failed",
      extraEvents: ["message.sent"],
    });
    expect(t1.error).toBe("exit 2: boom");
    const reports = await drain(town, "supervisor", 1000);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ type: "task_failed", priority: "high", correlationId: t0.id });
  });

  test("requeue: running back to assigned on the same agent, with a resume run in front", async () => {
    const t0 = await taskIn("running");
    const t1 = await step(t0, () => requeueTask(town, { taskId: t0.id, reason: "interrupted", by: RUNNER }), {
      to: "assigned",
      event: "task.requeued",
    });
    expect(t1).toMatchObject({ assignedTo: alpha.id, error: "interrupted", attempts: 1 });
    const jobs = await jobsOf(alpha.id, t0.id);
    expect(jobs.map((j) => j.opts.priority)).toContain(1);
    // It can run again: the next start counts a second attempt and clears the interruption reason.
    const t2 = await step(t1, () => startTask(town, { taskId: t0.id, agentId: alpha.id, by: RUNNER }), {
      to: "running",
      event: "task.started",
    });
    expect(t2).toMatchObject({ attempts: 2, error: null });
  });

  test.each(["pending", "assigned", "running"] as const)("cancel from %s", async (state) => {
    const t0 = await taskIn(state);
    const t1 = await step(t0, () => cancelTask(town, { taskId: t0.id, by: "cli" }), {
      to: "cancelled",
      event: "task.cancelled",
    });
    expect(t1.completedAt).toBeGreaterThan(0);
    expect(await town.redis.zscore(town.keys.backlog, t0.id)).toBeNull();
    if (state === "assigned") expect(await jobsOf(alpha.id, t0.id)).toHaveLength(0);
  });

  test.each(["failed", "cancelled"] as const)(
    "retry from %s: back to the backlog, unassigned and clean",
    async (state) => {
      const t0 = await taskIn(state);
      const t1 = await step(t0, () => retryTask(town, { taskId: t0.id, by: "cli" }), {
        to: "pending",
        event: "task.retried",
      });
      expect(t1).toMatchObject({ assignedTo: null, error: null, result: null, completedAt: null, startedAt: null });
      expect(await town.redis.zscore(town.keys.backlog, t0.id)).not.toBeNull();
    },
  );
});

/** Legal `from` states of each action, as ARCHITECTURE.md ("Lifecycles") draws them (written out, not imported). */
const LEGAL: Record<string, TaskState[]> = {
  assign: ["pending", "assigned"],
  unassign: ["assigned"],
  start: ["assigned"],
  complete: ["running"],
  fail: ["running"],
  requeue: ["running"],
  cancel: ["pending", "assigned", "running"],
  retry: ["failed", "cancelled"],
};

const ACTIONS: Record<string, (t: Task) => Promise<Task>> = {
  assign: (t) => assignTask(town, { taskId: t.id, agent: "beta", by: "cli" }),
  unassign: (t) => unassignTask(town, { taskId: t.id, by: "cli" }),
  start: (t) => startTask(town, { taskId: t.id, agentId: t.assignedTo ?? alpha.id, by: RUNNER }),
  complete: (t) => completeTask(town, { taskId: t.id, result: "ok", by: "cli" }),
  fail: (t) => failTask(town, { taskId: t.id, error: "boom", by: "cli" }),
  requeue: (t) => requeueTask(town, { taskId: t.id, reason: "interrupted", by: RUNNER }),
  cancel: (t) => cancelTask(town, { taskId: t.id, by: "cli" }),
  retry: (t) => retryTask(town, { taskId: t.id, by: "cli" }),
};

const ILLEGAL = Object.entries(LEGAL).flatMap(([action, from]) =>
  TASK_STATES.filter((s) => !from.includes(s)).map((s) => [action, s] as const),
);

describe("illegal transitions change nothing", () => {
  test("the table covers every (state, action) pair", () => {
    expect(ILLEGAL).toHaveLength(TASK_STATES.length * Object.keys(LEGAL).length - Object.values(LEGAL).flat().length);
    expect(ILLEGAL).toHaveLength(36);
  });

  test.each(ILLEGAL)("%s from %s → INVALID_STATE", async (action, state) => {
    const t = await taskIn(state);
    const err = await expectRefusedUnchanged(town, () => ACTIONS[action]!(t), "INVALID_STATE");
    expect(err.message).toContain(`it is ${state}`);
    expect(err.message).toContain(`cannot ${action}`);
    expect(err.details).toMatchObject({ state, version: t.version });
    expect(await getTask(town, t.id)).toEqual(t);
  });

  test("assigning to a stopped agent is refused and changes nothing", async () => {
    const gone = await spawnAgent(town, { name: "gone", model: "claude", by: "cli" });
    await killAgent(town, gone.id, "cli");
    const t = await taskIn("pending");
    const err = await expectRefusedUnchanged(
      town,
      () => assignTask(town, { taskId: t.id, agent: "gone", by: "cli" }),
      "INVALID_STATE",
    );
    expect(err.message).toContain("stopped");
    await expectRefusedUnchanged(
      town,
      () => createTask(town, { description: "x", assignTo: "gone", by: "cli" }),
      "INVALID_STATE",
    );
  });

  test("a runner starting a task assigned to another agent gets CONFLICT and changes nothing", async () => {
    const t = await taskIn("assigned");
    await expectRefusedUnchanged(
      town,
      () => startTask(town, { taskId: t.id, agentId: beta.id, by: RUNNER }),
      "CONFLICT",
    );
  });

  test("unknown task → NOT_FOUND, nothing written", async () => {
    await expectRefusedUnchanged(
      town,
      () => cancelTask(town, { taskId: "00000000-0000-0000-0000-000000000000", by: "cli" }),
      "NOT_FOUND",
    );
    await expectRefusedUnchanged(
      town,
      () => assignTask(town, { taskId: "no-such-task", agent: "alpha", by: "cli" }),
      "NOT_FOUND",
    );
  });
});

describe("expectedVersion", () => {
  const CASES: [string, TaskState, (t: Task, v: number) => Promise<Task>][] = [
    ["assign", "pending", (t, v) => assignTask(town, { taskId: t.id, agent: "alpha", expectedVersion: v, by: "cli" })],
    ["unassign", "assigned", (t, v) => unassignTask(town, { taskId: t.id, expectedVersion: v, by: "cli" })],
    ["complete", "running", (t, v) => completeTask(town, { taskId: t.id, expectedVersion: v, by: "cli" })],
    ["fail", "running", (t, v) => failTask(town, { taskId: t.id, error: "x", expectedVersion: v, by: "cli" })],
    ["cancel", "pending", (t, v) => cancelTask(town, { taskId: t.id, expectedVersion: v, by: "cli" })],
    ["retry", "failed", (t, v) => retryTask(town, { taskId: t.id, expectedVersion: v, by: "cli" })],
  ];

  test.each(CASES)(
    "%s with a stale version → CONFLICT, nothing changed; the current version works",
    async (_action, state, run) => {
      const t = await taskIn(state);
      for (const stale of [t.version - 1, t.version + 1]) {
        const err = await expectRefusedUnchanged(town, () => run(t, stale), "CONFLICT");
        expect(err.message).toContain(`version ${t.version}`);
        expect(err.details).toMatchObject({ state, version: t.version });
      }
      const next = await run(t, t.version);
      expect(next.version).toBe(t.version + 1);
    },
  );
});

describe("backlog, claim, listing, lookup", () => {
  let own: Town;
  beforeAll(async () => {
    own = await testTown({}, "tlist");
  });
  afterAll(() => own.close());

  test("backlog order is priority, then age; claimTask takes urgent oldest first", async () => {
    await spawnAgent(own, { name: "worker", model: "claude", by: "cli" });
    const order: [string, "urgent" | "high" | "normal" | "low"][] = [
      ["low-1", "low"],
      ["normal-1", "normal"],
      ["urgent-1", "urgent"],
      ["high-1", "high"],
      ["urgent-2", "urgent"],
      ["low-2", "low"],
      ["normal-2", "normal"],
      ["high-2", "high"],
    ];
    for (const [description, priority] of order) {
      await createTask(own, { description, priority, by: "cli" });
      await sleep(3); // distinct creation milliseconds: age is kept to the millisecond
    }
    const expected = ["urgent-1", "urgent-2", "high-1", "high-2", "normal-1", "normal-2", "low-1", "low-2"];
    const backlog = await listBacklog(own);
    expect(backlog.total).toBe(8);
    expect(backlog.items.map((t) => t.description)).toEqual(expected);
    expect((await listBacklog(own, { offset: 2, limit: 3 })).items.map((t) => t.description)).toEqual(
      expected.slice(2, 5),
    );
    const claimed: string[] = [];
    for (;;) {
      const t = await claimTask(own, { agent: "worker", by: "cli" });
      if (!t) break;
      expect(t.state).toBe("assigned");
      claimed.push(t.description);
    }
    expect(claimed).toEqual(expected);
    expect((await listBacklog(own)).total).toBe(0);
    await expectTaskIndexesConsistent(own);
  });

  test("listTasks pages newest first with totals; countTasks and filters agree", async () => {
    const created: Task[] = [];
    for (let i = 0; i < 23; i++) created.push(await createTask(own, { description: `page ${i}`, by: "cli" }));
    await spawnAgent(own, { name: "lister", model: "claude", by: "cli" });
    for (const t of created.slice(0, 5)) await assignTask(own, { taskId: t.id, agent: "lister", by: "cli" });
    for (const t of created.slice(5, 7)) await cancelTask(own, { taskId: t.id, by: "cli" });

    const all = await listTasks(own, { limit: 1000 });
    const pages = [];
    for (let offset = 0; offset < all.total; offset += 10) pages.push(await listTasks(own, { offset, limit: 10 }));
    expect(pages.map((p) => p.items.length)).toEqual([10, 10, 10, 1]); // 8 from the backlog test + 23
    expect(pages.every((p) => p.total === 31)).toBe(true);
    const ids = pages.flatMap((p) => p.items.map((t) => t.id));
    expect(new Set(ids).size).toBe(31);
    expect(ids).toEqual(all.items.map((t) => t.id));
    const created_ = pages.flatMap((p) => p.items.map((t) => t.createdAt));
    expect(created_).toEqual([...created_].sort((a, b) => b - a));
    expect((await listTasks(own, { offset: 31 })).items).toEqual([]);

    const counts = await countTasks(own);
    expect(counts).toEqual({ pending: 16, assigned: 13, running: 0, completed: 0, failed: 0, cancelled: 2 });
    for (const s of TASK_STATES) {
      const page = await listTasks(own, { state: s, limit: 1000 });
      expect(page.total).toBe(counts[s]);
      expect(page.items.every((t) => t.state === s)).toBe(true);
    }
    const lister = await listTasks(own, { agent: "lister", limit: 2 });
    expect(lister.total).toBe(5);
    expect(lister.items).toHaveLength(2);
    expect((await listTasks(own, { agent: "lister", state: "pending" })).total).toBe(0);
    await expectCoreError(() => listTasks(own, { limit: 0 }), "VALIDATION");
    await expectCoreError(() => listTasks(own, { limit: 1001 }), "VALIDATION");
    await expectCoreError(() => listTasks(own, { agent: "nobody" }), "NOT_FOUND");
  });

  test("tasks resolve by id or unique prefix; an ambiguous prefix is AMBIGUOUS with candidates", async () => {
    const tasks = (await listTasks(own, { limit: 1000 })).items;
    expect(tasks.length).toBeGreaterThan(16);
    const t = tasks[0]!;
    expect((await getTask(own, t.id)).id).toBe(t.id);
    expect((await getTask(own, t.id.slice(0, 8))).id).toBe(t.id);
    expect((await getTask(own, t.id.slice(0, 8).toUpperCase())).id).toBe(t.id);
    // More than 16 ids over 16 hex digits: some first digit is shared.
    const byFirst = new Map<string, string[]>();
    for (const x of tasks) byFirst.set(x.id[0]!, [...(byFirst.get(x.id[0]!) ?? []), x.id]);
    const [prefix, shared] = [...byFirst.entries()].find(([, ids]) => ids.length > 1)!;
    const err = await expectCoreError(() => getTask(own, prefix), "AMBIGUOUS");
    expect(err.message).toContain(`"${prefix}"`);
    expect((err.details.candidates as string[]).sort()).toEqual(shared.slice(0, 10).sort());
    await expectCoreError(() => findTask(own, prefix), "AMBIGUOUS");
    await expectRefusedUnchanged(own, () => cancelTask(own, { taskId: prefix, by: "cli" }), "AMBIGUOUS");
    expect(await findTask(own, "ffffffffffff-nope")).toBeNull();
    await expectCoreError(() => getTask(own, "zzz"), "NOT_FOUND");
  });

  test("a refused change leaves the whole town untouched, including queues", async () => {
    const before = await dumpTown(own);
    await expectCoreError(() => claimTask(own, { agent: "nobody", by: "cli" }), "NOT_FOUND");
    expect(await dumpTown(own)).toEqual(before);
  });
});
