/** Who holds a running task is a field of the task, written in the same atomic change as the state. */
import { afterAll, beforeAll, expect, test } from "vitest";
import { spawnAgent } from "../agent/agent.service";
import { testTown } from "../testing";
import type { Town } from "../town/town";
import { cancelTask, completeTask, createTask, failTask, getTask, requeueTask, startTask } from "./task.service";

let town: Town;
let agentId: string;
beforeAll(async () => {
  town = await testTown({}, "holder");
  agentId = (await spawnAgent(town, { name: "w", model: "sim", by: "ana" })).id;
});
afterAll(() => town.close());

const assigned = () => createTask(town, { description: "x", assignTo: "w", by: "ana" });

test("the start sets the runner; every change that ends the run clears it with the state", async () => {
  const t = await assigned();
  expect(t.runner).toBeNull();
  const run1 = await startTask(town, { taskId: t.id, agentId, runner: "r1", by: "runner:r1" });
  expect(run1.runner).toBe("r1");
  expect(await town.redis.hget(town.keys.task(t.id), "runner")).toBe("r1");

  const back = await requeueTask(town, { taskId: t.id, reason: "runner stopped", by: "runner:r1" });
  expect(back).toMatchObject({ state: "assigned", runner: null });
  expect(await town.redis.hexists(town.keys.task(t.id), "runner")).toBe(0);

  // Without `runner`, the runner of a `runner:<id>` actor holds it.
  expect((await startTask(town, { taskId: t.id, agentId, by: "runner:r2" })).runner).toBe("r2");
  expect(await completeTask(town, { taskId: t.id, by: "w" })).toMatchObject({ state: "completed", runner: null });

  for (const end of [
    (id: string) => failTask(town, { taskId: id, error: "boom", by: "runner:r1" }),
    (id: string) => cancelTask(town, { taskId: id, by: "ana" }),
  ]) {
    const u = await assigned();
    await startTask(town, { taskId: u.id, agentId, runner: "r1", by: "runner:r1" });
    expect((await end(u.id)).runner).toBeNull();
    expect((await getTask(town, u.id)).runner).toBeNull();
  }
});

test("a task started before the field existed is held by the runner that started it", async () => {
  const t = await assigned();
  await startTask(town, { taskId: t.id, agentId, runner: "old", by: "runner:old" });
  await town.redis.hdel(town.keys.task(t.id), "runner");
  expect((await getTask(town, t.id)).runner).toBe("old");
});
