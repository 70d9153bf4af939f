import { afterAll, expect, test } from "vitest";
import { testTown } from "../testing";
import { spawnAgent, createTask, assignTask, listTasks, sendMessage, peek, agentQueue } from "../index";

const town = await testTown();
afterAll(() => town.close());

test("smoke: spawn, create, assign, message", async () => {
  const a = await spawnAgent(town, { name: "Worker-1", model: "claude" });
  expect(a.name).toBe("worker-1");
  const t = await createTask(town, { description: "hello" });
  const t2 = await assignTask(town, { taskId: t.id.slice(0, 6), agent: "WORKER-1" });
  expect(t2.state).toBe("assigned");
  expect((await listTasks(town, { state: "assigned" })).items.map((x) => x.id)).toEqual([t.id]);
  await sendMessage(town, { to: "worker-1", body: "low", priority: "low" });
  await sendMessage(town, { to: "worker-1", body: "urgent", priority: "urgent" });
  expect((await peek(town, a.id)).map((m) => m.body)).toEqual(["urgent", "low"]);
  expect(await agentQueue(town, a.id).getJobCounts()).toMatchObject({ prioritized: 1 });
});
