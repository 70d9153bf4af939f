import { afterAll, expect, test } from "vitest";
import { commandsSent, testTown } from "../testing";
import { changeAgent, findAgent, spawnAgent } from "../agent/agent.service";
import { closeAgent, interruptAgent, markAgentReady } from "../agent/lifecycle";
import { peek } from "../channel/channel";
import { readEvents } from "../channel/events";
import { cancelTask, createTask, getTask, taskHistory } from "../task/task.service";
import type { Agent } from "../agent/agent";
import { beginRun, finishRun } from "./run-steps";

const town = await testTown({}, "steps");
afterAll(() => town.close());

async function readyAgent(name: string): Promise<Agent> {
  const a = await spawnAgent(town, { name, model: "sim", by: "cli" });
  return (await markAgentReady(town, { agent: a, runner: "r1", by: "runner:r1" }))!;
}

test("a run starts in one script: task running on the runner, agent working, both events in order", async () => {
  const a = await readyAgent("starter");
  const t = await createTask(town, { description: "do it", assignTo: a.id, by: "cli" });
  const { result: begun, sent } = await commandsSent(town, () =>
    beginRun(town, { taskId: t.id, agentId: a.id, runner: "r1", by: "runner:r1" }),
  );
  expect(begun.kind).toBe("started");
  // One read (2 HGETALL pipelined) and one write script: nothing else on the path to the process.
  expect(sent.filter((c) => c === "evalsha" || c === "eval")).toHaveLength(1);
  expect(sent.filter((c) => c === "hgetall")).toHaveLength(2);
  const task = await getTask(town, t.id);
  expect(task).toMatchObject({ state: "running", runner: "r1", attempts: 1, version: t.version + 1 });
  expect(await findAgent(town, a.id)).toMatchObject({ state: "working", currentTask: t.id, runner: "r1" });
  const events = (await readEvents(town)).filter((e) => e.taskId === t.id || e.agentId === a.id);
  expect(events.slice(-2).map((e) => [e.type, e.to])).toEqual([
    ["task.started", "running"],
    ["agent.state", "working"],
  ]);
  const history = await taskHistory(town, t.id);
  expect(history.at(-1)).toMatchObject({ type: "task.started", to: "running", id: events.at(-2)!.id });
});

test("a run does not start on a paused agent, nor a task someone else moved: nothing changes", async () => {
  const a = await readyAgent("paused-one");
  const t = await createTask(town, { description: "wait", assignTo: a.id, by: "cli" });
  await interruptAgent(town, a.id, "alice");
  expect(await beginRun(town, { taskId: t.id, agentId: a.id, runner: "r1", by: "runner:r1" })).toEqual({
    kind: "skip",
    reason: "agent is paused",
  });
  const b = await readyAgent("other-one");
  const u = await createTask(town, { description: "cancelled", assignTo: b.id, by: "cli" });
  await cancelTask(town, { taskId: u.id, by: "alice" });
  expect(await beginRun(town, { taskId: u.id, agentId: b.id, runner: "r1", by: "runner:r1" })).toMatchObject({
    kind: "skip",
  });
  expect(await getTask(town, t.id)).toMatchObject({ state: "assigned", version: t.version });
  expect((await findAgent(town, b.id))!.state).toBe("idle");
});

test("a run ends in one script: task completed, agent idle with its counter, and the supervisor told", async () => {
  const a = await readyAgent("finisher");
  const t = await createTask(town, { description: "finish me", assignTo: a.id, by: "cli" });
  const begun = await beginRun(town, { taskId: t.id, agentId: a.id, runner: "r1", by: "runner:r1" });
  if (begun.kind !== "started") throw new Error(begun.kind);
  const done = await finishRun(town, {
    taskId: t.id,
    agentId: a.id,
    expectedVersion: begun.task.version,
    result: { kind: "complete", result: "all good" },
    by: "runner:r1",
  });
  expect(done).toMatchObject({ ended: true, outcome: "completed", task: { state: "completed", result: "all good" } });
  expect(await findAgent(town, a.id)).toMatchObject({ state: "idle", currentTask: null, tasksCompleted: 1 });
  const report = (await peek(town, "supervisor", 1000)).find((m) => m.correlationId === t.id);
  expect(report).toMatchObject({ type: "task_done", from: "finisher" });
  const events = (await readEvents(town)).filter((e) => e.taskId === t.id || e.agentId === a.id);
  expect(events.slice(-2).map((e) => [e.type, e.to])).toEqual([
    ["task.completed", "completed"],
    ["agent.state", "idle"],
  ]);
});

test("a task changed during the run keeps that change; the agent's run still ends, counted by the task's state", async () => {
  const a = await readyAgent("overruled");
  const t = await createTask(town, { description: "cancel me", assignTo: a.id, by: "cli" });
  const begun = await beginRun(town, { taskId: t.id, agentId: a.id, runner: "r1", by: "runner:r1" });
  if (begun.kind !== "started") throw new Error(begun.kind);
  await cancelTask(town, { taskId: t.id, by: "alice" });
  const done = await finishRun(town, {
    taskId: t.id,
    agentId: a.id,
    expectedVersion: begun.task.version,
    result: { kind: "fail", error: "exit code 1" },
    by: "runner:r1",
  });
  expect(done).toMatchObject({ ended: false, outcome: "none", task: { state: "cancelled", updatedBy: "alice" } });
  expect(await findAgent(town, a.id)).toMatchObject({ state: "idle", currentTask: null, tasksFailed: 0 });
  expect((await peek(town, "supervisor", 1000)).some((m) => m.correlationId === t.id)).toBe(false);
});

test("a draining agent stops when its run ends and gives back what was queued for it", async () => {
  const a = await readyAgent("drained");
  const t = await createTask(town, { description: "last one", assignTo: a.id, by: "cli" });
  const queued = await createTask(town, { description: "never run", assignTo: a.id, by: "cli" });
  const begun = await beginRun(town, { taskId: t.id, agentId: a.id, runner: "r1", by: "runner:r1" });
  if (begun.kind !== "started") throw new Error(begun.kind);
  await closeAgent(town, a.id, "alice");
  await finishRun(town, {
    taskId: t.id,
    agentId: a.id,
    expectedVersion: begun.task.version,
    result: { kind: "fail", error: "boom", messages: "return" },
    by: "runner:r1",
  });
  expect(await findAgent(town, a.id)).toMatchObject({ state: "stopped", tasksFailed: 1 });
  expect(await getTask(town, queued.id)).toMatchObject({ state: "pending", assignedTo: null });
});

test("an agent changed between the read and the write is read again: no lost update of its counters", async () => {
  const a = await readyAgent("racer");
  const tasks = await Promise.all(
    [1, 2, 3].map((i) => createTask(town, { description: `t${i}`, assignTo: a.id, by: "cli" })),
  );
  for (const t of tasks) {
    const begun = await beginRun(town, { taskId: t.id, agentId: a.id, runner: "r1", by: "runner:r1" });
    if (begun.kind !== "started") throw new Error(begun.kind);
    // A heartbeat-like change of the agent (version bump) lands between the run's start and its end.
    await changeAgent(town, a.id, { action: "ready", by: "runner:r1", patch: () => ({ runner: "r1" }) });
    await finishRun(town, {
      taskId: t.id,
      agentId: a.id,
      expectedVersion: begun.task.version,
      result: { kind: "complete", result: "ok" },
      by: "runner:r1",
    });
  }
  expect(await findAgent(town, a.id)).toMatchObject({ state: "idle", tasksCompleted: 3 });
});
