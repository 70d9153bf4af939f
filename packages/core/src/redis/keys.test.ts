/**
 * Several towns share one Redis: each sees only its own agents, tasks, messages and events, and every key it
 * writes starts with `tt:<town>:`. Runs on a private server so that the whole keyspace is ours to inspect.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startRedisServer, type TestRedis } from "../testing";
import { scanKeys } from "../testing/inspect";
import { findAgent, listAgents, pruneAgents, spawnAgent } from "../agent/agent.service";
import { stopAgent } from "../agent/lifecycle";
import {
  assignTask,
  completeTask,
  createTask,
  findTask,
  listBacklog,
  listTasks,
  startTask,
  claimTask,
  countTasks,
} from "../task/task.service";
import { drain, inboxLength, sendMessage } from "../channel/channel";
import { readEvents } from "../channel/events";
import { townOnRedis, type Town } from "../town/town";
import { townKeys } from "./keys";

let server: TestRedis;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => server.stop());

/** Drives one town through everything that writes: agents, tasks in every path, messages, queues, pruning. */
async function exercise(town: Town) {
  const a = await spawnAgent(town, { name: "alice", model: "claude", by: "cli" });
  await spawnAgent(town, { name: "bob", model: "claude", by: "cli" });
  const t1 = await createTask(town, { description: `${town.name} first`, tags: ["iso"], by: "cli" });
  const t2 = await createTask(town, { description: `${town.name} second`, assignTo: "alice", by: "cli" });
  await assignTask(town, { taskId: t1.id, agent: "bob", by: "cli" });
  await startTask(town, { taskId: t2.id, agentId: a.id, by: "runner:iso" });
  await completeTask(town, { taskId: t2.id, result: "ok", by: "cli" });
  await createTask(town, { description: `${town.name} backlog`, by: "cli" });
  await claimTask(town, { agent: "alice", by: "cli" });
  await sendMessage(town, { to: "alice", body: `hello from ${town.name}`, from: "supervisor" });
  await sendMessage(town, { to: "supervisor", body: `report from ${town.name}`, from: "supervisor" });
  await town.redis.hset(town.keys.meta, { name: town.name });
  const c = await spawnAgent(town, { name: "carol", model: "claude", by: "cli" });
  await createTask(town, { description: `${town.name} carol`, assignTo: "carol", by: "cli" });
  await stopAgent(town, c.id, { by: "cli" });
  await pruneAgents(town, { by: "cli" });
  return { a, t1, t2 };
}

describe.each([false, true])("cluster hash tags: %s", (cluster) => {
  let east: Town;
  let west: Town;
  beforeAll(async () => {
    east = await townOnRedis({ name: `east-${cluster ? "c" : "p"}`, url: server.url, config: { redis: { cluster } } });
    west = await townOnRedis({ name: `west-${cluster ? "c" : "p"}`, url: server.url, config: { redis: { cluster } } });
  });
  afterAll(async () => {
    await east.close();
    await west.close();
  });

  test("towns never see each other's agents, tasks, messages or events", async () => {
    const e = await exercise(east);
    const w = await exercise(west);
    for (const [me, mine, theirs] of [
      [east, e, w],
      [west, w, e],
    ] as const) {
      expect((await listAgents(me)).map((a) => a.id)).not.toContain(theirs.a.id);
      expect((await findAgent(me, "alice"))!.id).toBe(mine.a.id);
      expect(await findAgent(me, theirs.a.id)).toBeNull();
      expect(await findAgent(me, theirs.a.id.slice(0, 8))).toBeNull();
      expect(await findTask(me, theirs.t1.id)).toBeNull();
      expect(await findTask(me, theirs.t1.id.slice(0, 8))).toBeNull();
      const tasks = (await listTasks(me, { limit: 1000 })).items;
      expect(tasks).toHaveLength(4);
      expect(tasks.every((t) => t.description.startsWith(me.name))).toBe(true);
      expect(Object.values(await countTasks(me)).reduce((x, y) => x + y, 0)).toBe(4);
      expect((await listBacklog(me)).items.every((t) => t.description.startsWith(me.name))).toBe(true);
      const events = await readEvents(me, { count: 10_000 });
      expect(events.length).toBeGreaterThan(10);
      const theirIds = new Set([theirs.a.id, theirs.t1.id, theirs.t2.id]);
      expect(events.filter((ev) => theirIds.has(String(ev.taskId)) || theirIds.has(String(ev.agentId)))).toEqual([]);
      expect(await inboxLength(me, theirs.a.id)).toBe(0);
      expect((await drain(me, "supervisor", 100)).map((m) => m.body)).toEqual([
        `completed: ${me.name} second`,
        `report from ${me.name}`,
      ]);
    }
  });

  test("every key a town wrote starts with its prefix", async () => {
    const suffix = cluster ? "-c" : "-p";
    const all = (await scanKeys(east.redis, "*")).filter((k) => /^tt:\{?(east|west)(-[cp])/.exec(k)?.[2] === suffix);
    expect(all.length).toBeGreaterThan(20);
    const pe = townKeys(east.name, { hashTag: cluster }).prefix;
    const pw = townKeys(west.name, { hashTag: cluster }).prefix;
    expect(pe).toBe(cluster ? `tt:{${east.name}}:` : `tt:${east.name}:`);
    const stray = all.filter((k) => !k.startsWith(pe) && !k.startsWith(pw));
    expect(stray).toEqual([]);
    expect(all.some((k) => k.startsWith(pe))).toBe(true);
    expect(all.some((k) => k.startsWith(pw))).toBe(true);
    // BullMQ's queue keys live under the town's prefix too.
    expect(all.some((k) => k.startsWith(`${pe}bull:`))).toBe(true);
  });
});

test("the server holds no keys outside the towns' prefixes", async () => {
  const probe = await townOnRedis({ name: "probe", url: server.url });
  const all = await scanKeys(probe.redis, "*");
  await probe.close();
  expect(all.length).toBeGreaterThan(40);
  expect(all.filter((k) => !/^tt:(\{)?(east|west)-[cp](\})?:/.test(k))).toEqual([]);
});
