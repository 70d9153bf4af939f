/**
 * The "Needs you" inbox on real Redis: questions park their task, failures, budget stops and conflicts show up from the
 * task indexes, claims race on separate connections (one wins), and answers reach the agent and close the item.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { testRedisUrl, testTown } from "../testing";
import { spawnAgent } from "../agent/agent.service";
import { peek } from "../channel/channel";
import { readEvents } from "../channel/events";
import { isCoreError } from "../errors";
import { createRedis } from "../redis/connection";
import { townOnRedis, type Town } from "../town/town";
import { createTask, failTask, getTask, startTask } from "../task/task.service";
import {
  answerNeed,
  askHuman,
  claimNeed,
  dismissNeed,
  getNeed,
  listNeeds,
  releaseNeed,
  waitForAnswer,
} from "./needs.service";

let town: Town;
beforeAll(async () => {
  town = await testTown({}, "needs");
});
afterAll(async () => town.close());

let n = 0;
async function runningTask(description = "Pick a colour") {
  const agent = await spawnAgent(town, { name: `asker-${n++}`, model: "claude", by: "cli" });
  const t = await createTask(town, { description, assignTo: agent.id, by: "ada" });
  const running = await startTask(town, { taskId: t.id, agentId: agent.id, by: "runner:r1" });
  return { agent, task: running };
}

describe("questions", () => {
  test("an ask parks the running task (assigned, waiting) in the same change; bad input changes nothing", async () => {
    const { agent, task } = await runningTask();
    await expect(
      askHuman(town, { question: "  ", taskId: task.id, agentId: agent.id, by: agent.name }),
    ).rejects.toMatchObject({ code: "VALIDATION" });
    expect((await getTask(town, task.id)).state).toBe("running");
    const { need, task: parked } = await askHuman(town, {
      question: "Blue or green?",
      options: ["Blue", "Green"],
      taskId: task.id,
      agentId: agent.id,
      expectedVersion: task.version,
      by: agent.name,
    });
    expect(parked).toMatchObject({ state: "assigned", waitingFor: need.id, assignedTo: agent.id });
    const ev = (await readEvents(town, { count: 1000 })).find((e) => e.type === "task.waiting" && e.taskId === task.id);
    expect(ev).toMatchObject({ needId: need.id, title: "Blue or green?" });
    // A stale run (an older version) cannot ask for the newer one.
    await expect(
      askHuman(town, { question: "again?", taskId: task.id, agentId: agent.id, by: agent.name }),
    ).rejects.toMatchObject({ code: "INVALID_STATE" });
  });

  test("two people claim at once on separate connections: exactly one wins, the other is told who", async () => {
    const { agent, task } = await runningTask();
    const { need } = await askHuman(town, { question: "Ship it?", taskId: task.id, agentId: agent.id, by: agent.name });
    const others = await Promise.all(
      Array.from({ length: 10 }, () => townOnRedis({ name: town.name, url: testRedisUrl() })),
    );
    try {
      const results = await Promise.allSettled(others.map((t, i) => claimNeed(t, { id: need.id, by: `user-${i}` })));
      const won = results.filter((r) => r.status === "fulfilled");
      expect(won).toHaveLength(1);
      const winner = (won[0] as PromiseFulfilledResult<{ claimedBy: string }>).value.claimedBy;
      for (const r of results.filter((r) => r.status === "rejected"))
        expect(r.reason).toMatchObject({ code: "CONFLICT", details: { claimedBy: winner } });
      expect((await getNeed(town, need.id)).claimedBy).toBe(winner);
      // Only the claimer answers (or releases); then anyone may.
      const loser = winner === "user-0" ? "user-1" : "user-0";
      await expect(answerNeed(town, { id: need.id, answer: "no", by: loser })).rejects.toMatchObject({
        code: "CONFLICT",
      });
      await releaseNeed(town, { id: need.id, by: winner });
      const closed = await answerNeed(town, { id: need.id, answer: "yes", by: loser });
      expect(closed).toMatchObject({ answer: "yes", closedBy: loser });
      await expect(answerNeed(town, { id: need.id, answer: "again", by: winner })).rejects.toMatchObject({
        code: "INVALID_STATE",
      });
    } finally {
      await Promise.all(others.map((t) => t.close()));
    }
  });

  test("the answer closes the item for everyone, frees the task and reaches the agent first in its inbox", async () => {
    const { agent, task } = await runningTask();
    const { need } = await askHuman(town, { question: "Port?", taskId: task.id, agentId: agent.id, by: agent.name });
    expect((await listNeeds(town)).items.map((i) => i.id)).toContain(need.id);
    await answerNeed(town, { id: need.id, answer: "8080", by: "ada" });
    const t = await getTask(town, task.id);
    expect(t).toMatchObject({ state: "assigned", waitingFor: null });
    const [m] = await peek(town, agent.id, 1);
    expect(m).toMatchObject({ from: "ada", priority: "high", correlationId: need.id });
    expect(m!.data).toMatchObject({ needId: need.id, answer: "8080" });
    expect((await listNeeds(town)).items.map((i) => i.id)).not.toContain(need.id);
  });

  test("block mode: the agent's wait returns the answer; nothing else answers it", async () => {
    const { agent, task } = await runningTask();
    const { need, task: still } = await askHuman(town, {
      question: "Proceed?",
      mode: "block",
      taskId: task.id,
      agentId: agent.id,
      by: agent.name,
    });
    expect(still.state).toBe("running");
    const conn = createRedis(town.redisUrl, { blocking: true, readsOnly: true });
    try {
      expect(await waitForAnswer(town, need.id, 200, conn)).toBeNull();
      const waiting = waitForAnswer(town, need.id, 5_000, conn);
      await answerNeed(town, { id: need.id, answer: "go", by: "bob" });
      expect(await waiting).toEqual({ answer: "go", by: "bob" });
    } finally {
      conn.disconnect();
    }
  });
});

describe("failures, budget stops and conflicts", () => {
  test("a failed task is an item; answering retries it on the same agent with the answer in its inbox", async () => {
    const { agent, task } = await runningTask("Build the thing");
    await failTask(town, { taskId: task.id, error: "exit code 1: boom", by: "runner:r1" });
    const item = (await listNeeds(town)).items.find((i) => i.taskId === task.id)!;
    expect(item).toMatchObject({ kind: "failed", agentName: agent.name });
    await claimNeed(town, { id: item.id, by: "ada" });
    expect((await listNeeds(town)).items.find((i) => i.id === item.id)?.claimedBy).toBe("ada");
    await answerNeed(town, { id: item.id, answer: "use node 22", by: "ada" });
    expect(await getTask(town, task.id)).toMatchObject({ state: "assigned", assignedTo: agent.id });
    expect((await peek(town, agent.id)).some((m) => m.data?.answer === "use node 22")).toBe(true);
    expect((await listNeeds(town)).items.find((i) => i.taskId === task.id)).toBeUndefined();
  });

  test("a budget stop ranks above a failure; dismissing closes it without touching the task", async () => {
    const a = await runningTask("Costly");
    await failTask(town, { taskId: a.task.id, error: "budget reached: task $1.00 of $1.00", by: "runner:r1" });
    const b = await runningTask("Plain");
    await failTask(town, { taskId: b.task.id, error: "exit code 2", by: "runner:r1" });
    const { items } = await listNeeds(town);
    const ia = items.findIndex((i) => i.taskId === a.task.id);
    const ib = items.findIndex((i) => i.taskId === b.task.id);
    expect(items[ia]!.kind).toBe("budget");
    expect(ia).toBeLessThan(ib);
    await dismissNeed(town, { id: items[ia]!.id, by: "ada" });
    expect((await getTask(town, a.task.id)).state).toBe("failed");
    expect((await listNeeds(town)).items.some((i) => i.taskId === a.task.id)).toBe(false);
    await expect(claimNeed(town, { id: "failed:nope:1", by: "ada" })).rejects.toSatisfy((e) =>
      isCoreError(e, "NOT_FOUND"),
    );
  });
});
