import { afterAll, expect, test } from "vitest";
import { testTown } from "../testing";
import { spawnAgent } from "../agent/agent.service";
import { cancelTask, createTask } from "../task/task.service";
import { agentQueue, BULL_PRIORITY, runJobId } from "./dispatch";
import { cleanQueues, listQueues, promoteTask, retryQueues } from "./queue-ops";

const town = await testTown();
afterAll(() => town.close());

test("list, clean, retry and promote act on the agents' queues according to task state", async () => {
  const a = await spawnAgent(town, { name: "queued", model: "sim", by: "cli" });
  const q = agentQueue(town, a.id);
  const t1 = await createTask(town, { description: "one", assignTo: a.id, priority: "low", by: "cli" });
  const t2 = await createTask(town, { description: "two", assignTo: a.id, by: "cli" });
  const t3 = await createTask(town, { description: "three", assignTo: a.id, by: "cli" });
  expect((await listQueues(town)).find((x) => x.agent === "queued")).toMatchObject({
    counts: { prioritized: 3 },
    assigned: 3,
    paused: false,
  });

  // A job whose task went away is stale: clean removes it and nothing else.
  await q.add("run", { taskId: "00000000-gone", agentId: a.id }, { jobId: "stale", priority: 4 });
  await cancelTask(town, { taskId: t3.id, by: "cli" });
  expect(await cleanQueues(town, { agent: "queued" })).toEqual([{ agent: "queued", removed: 1 }]);
  expect(await q.getJob("stale")).toBeUndefined();
  expect((await q.getJobCounts("prioritized")).prioritized).toBe(2);

  // An assigned task that lost its job gets it back; a second retry adds nothing.
  await (await q.getJob(runJobId(t2.id, t2.version)))!.remove();
  expect(await retryQueues(town, { agent: "queued" })).toEqual([{ agent: "queued", enqueued: 1 }]);
  expect(await retryQueues(town, { agent: "queued" })).toEqual([{ agent: "queued", enqueued: 0 }]);

  // Promote: the low-priority task goes in front of everything.
  await promoteTask(town, t1.id);
  expect((await q.getJob(runJobId(t1.id, t1.version)))!.priority).toBe(BULL_PRIORITY.resume);
  await expect(promoteTask(town, t3.id)).rejects.toThrow(/only an assigned task can be promoted; .* is cancelled/);
});
