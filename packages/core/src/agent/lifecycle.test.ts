import { afterAll, expect, test } from "vitest";
import { testTown } from "../testing";
import { createTask, getTask, startTask } from "../task/task.service";
import { expectCoreError } from "../testing/inspect";
import { changeAgent, findAgent, spawnAgent } from "./agent.service";
import {
  closeAgent,
  finishAgentRun,
  interruptAgent,
  markAgentReady,
  markAgentWorking,
  releaseAgentTasks,
} from "./lifecycle";

const town = await testTown();
afterAll(() => town.close());

test("closing an agent with nothing running stops it and gives its queued tasks back to the backlog", async () => {
  const a = await spawnAgent(town, { name: "closer", model: "sim", by: "cli" });
  const queued = await createTask(town, { description: "queued", assignTo: a.id, by: "cli" });
  const closed = await closeAgent(town, a.name, "alice");
  expect(closed.state).toBe("stopped");
  expect(await getTask(town, queued.id)).toMatchObject({ state: "pending", assignedTo: null, updatedBy: "alice" });
});

test("closing a working agent drains it: the running task stays, queued ones are released when the drain ends", async () => {
  const a = await spawnAgent(town, { name: "drainer", model: "sim", by: "cli" });
  const running = await createTask(town, { description: "running", assignTo: a.id, by: "cli" });
  const queued = await createTask(town, { description: "queued", assignTo: a.id, by: "cli" });
  await changeAgent(town, a.id, { action: "ready", by: "runner", patch: () => ({ state: "idle", runner: "r1" }) });
  await startTask(town, { taskId: running.id, agentId: a.id, by: "runner" });
  await changeAgent(town, a.id, {
    action: "work",
    by: "runner",
    patch: () => ({ state: "working", currentTask: running.id }),
  });
  expect((await closeAgent(town, a.name, "cli")).state).toBe("draining");
  expect((await getTask(town, queued.id)).state).toBe("assigned");
  // What the runner does when the drained run ends:
  const released = await releaseAgentTasks(town, a.id, { reason: "closed", by: "runner" });
  expect(released.map((t) => t.id)).toEqual([queued.id]);
  expect((await getTask(town, running.id)).state).toBe("running");
  expect((await getTask(town, queued.id)).state).toBe("pending");
});

test("a runner's side of the lifecycle: ready once, working on a task, finished with the counters", async () => {
  const a = await spawnAgent(town, { name: "hosted", model: "sim", by: "cli" });
  const ready = await markAgentReady(town, { agent: a, runner: "r1", by: "runner:r1" });
  expect(ready).toMatchObject({ state: "idle", runner: "r1" });
  // A second runner with the same snapshot loses the race; an agent that is not starting needs nothing.
  expect(await markAgentReady(town, { agent: a, runner: "r2", by: "runner:r2" })).toBeNull();
  expect(await markAgentReady(town, { agent: ready!, runner: "r2", by: "runner:r2" })).toBeNull();

  const t = await createTask(town, { description: "work", assignTo: a.id, by: "cli" });
  await startTask(town, { taskId: t.id, agentId: a.id, runner: "r1", by: "runner:r1" });
  const working = await markAgentWorking(town, { agentId: a.id, taskId: t.id, runner: "r1", by: "runner:r1" });
  expect(working).toMatchObject({ state: "working", currentTask: t.id, runner: "r1" });

  // Finishing another task changes nothing; finishing this one counts it.
  await finishAgentRun(town, { agentId: a.id, taskId: "other", outcome: "completed", by: "runner:r1" });
  expect((await findAgent(town, a.id))?.state).toBe("working");
  await finishAgentRun(town, { agentId: a.id, taskId: t.id, outcome: "failed", by: "runner:r1" });
  expect(await findAgent(town, a.id)).toMatchObject({ state: "idle", currentTask: null, tasksFailed: 1 });
});

test("an agent that cannot take work refuses to work with its state; a paused one stays paused when its run ends", async () => {
  const a = await spawnAgent(town, { name: "pauser", model: "sim", by: "cli" });
  await interruptAgent(town, a.id, "alice");
  const err = await expectCoreError(
    () => markAgentWorking(town, { agentId: a.id, taskId: "t", runner: "r1", by: "runner:r1" }),
    "INVALID_STATE",
  );
  expect(err.details.state).toBe("paused");

  const b = await spawnAgent(town, { name: "busy", model: "sim", by: "cli" });
  const t = await createTask(town, { description: "work", assignTo: b.id, by: "cli" });
  await markAgentWorking(town, { agentId: b.id, taskId: t.id, runner: "r1", by: "runner:r1" });
  await interruptAgent(town, b.id, "alice");
  await finishAgentRun(town, { agentId: b.id, taskId: t.id, outcome: "completed", by: "runner:r1" });
  expect(await findAgent(town, b.id)).toMatchObject({ state: "paused", currentTask: null, tasksCompleted: 1 });
});
