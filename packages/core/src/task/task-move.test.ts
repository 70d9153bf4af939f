import { afterAll, describe, expect, test } from "vitest";
import { testTown } from "../testing";
import { spawnAgent } from "../agent/agent.service";
import { isCoreError } from "../errors";
import { createTask, failTask, startTask, taskHistory } from "./task.service";
import { moveTask } from "./task-move";

const town = await testTown();
afterAll(() => town.close());

describe("moveTask: the board's drag and drop", () => {
  test("backlog → agent → other agent → backlog → cancelled → backlog, each recorded in the task's history", async () => {
    const a = await spawnAgent(town, { name: "mover-a", model: "sim", by: "cli" });
    await spawnAgent(town, { name: "mover-b", model: "sim", by: "cli" });
    let t = await createTask(town, { description: "drag me", by: "alice" });
    t = await moveTask(town, {
      taskId: t.id,
      target: { kind: "agent", agent: a.id },
      expectedState: t.state,
      expectedVersion: t.version,
      by: "alice",
    });
    expect(t).toMatchObject({ state: "assigned", assignedTo: a.id });
    t = await moveTask(town, {
      taskId: t.id,
      target: { kind: "agent", agent: "mover-b" },
      expectedState: t.state,
      expectedVersion: t.version,
      by: "bob",
    });
    expect(t.state).toBe("assigned");
    t = await moveTask(town, {
      taskId: t.id,
      target: { kind: "backlog" },
      expectedState: t.state,
      expectedVersion: t.version,
      by: "bob",
    });
    expect(t).toMatchObject({ state: "pending", assignedTo: null });
    t = await moveTask(town, {
      taskId: t.id,
      target: { kind: "cancelled" },
      expectedState: t.state,
      expectedVersion: t.version,
      by: "carol",
    });
    expect(t.state).toBe("cancelled");
    t = await moveTask(town, {
      taskId: t.id,
      target: { kind: "backlog" },
      expectedState: t.state,
      expectedVersion: t.version,
      by: "carol",
    });
    expect(t.state).toBe("pending");
    const h = await taskHistory(town, t.id);
    expect(h.map((e) => [e.type, e.by, e.to])).toEqual([
      ["task.created", "alice", "pending"],
      ["task.assigned", "alice", "assigned"],
      ["task.assigned", "bob", "assigned"],
      ["task.unassigned", "bob", "pending"],
      ["task.cancelled", "carol", "cancelled"],
      ["task.retried", "carol", "pending"],
    ]);
    expect(h.every((e) => /^\d+-\d+$/.test(e.id))).toBe(true);
  });

  test("a failed card back to the backlog is a retry", async () => {
    const a = await spawnAgent(town, { name: "mover-c", model: "sim", by: "cli" });
    const t0 = await createTask(town, { description: "will fail", assignTo: a.id, by: "cli" });
    await startTask(town, { taskId: t0.id, agentId: a.id, by: "runner" });
    const f = await failTask(town, { taskId: t0.id, error: "boom", by: "cli" });
    const t = await moveTask(town, {
      taskId: f.id,
      target: { kind: "backlog" },
      expectedState: "failed",
      expectedVersion: f.version,
      by: "dan",
    });
    expect(t).toMatchObject({ state: "pending", error: null });
  });

  test("a stale move is refused and changes nothing", async () => {
    const t = await createTask(town, { description: "contested", by: "cli" });
    await moveTask(town, {
      taskId: t.id,
      target: { kind: "cancelled" },
      expectedState: "pending",
      expectedVersion: t.version,
      by: "first",
    });
    const err = await moveTask(town, {
      taskId: t.id,
      target: { kind: "agent", agent: "mover-a" },
      expectedState: "pending",
      expectedVersion: t.version,
      by: "second",
    }).catch((e: unknown) => e);
    expect(isCoreError(err, "CONFLICT")).toBe(true);
    expect(String(err)).toMatch(/changed since you saw it: it is now cancelled/);
    expect((await taskHistory(town, t.id)).map((e) => e.type)).toEqual(["task.created", "task.cancelled"]);
  });
});
