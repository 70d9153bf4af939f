import { afterAll, expect, test } from "vitest";
import { testTown } from "../testing";
import { createTask, getTask, startTask } from "../task/task.service";
import { changeAgent, spawnAgent } from "./agent.service";
import { closeAgent, releaseAgentTasks } from "./agent-ops";

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
