/**
 * Cluster only (`pnpm test:cluster`): a town on a 3-master Redis Cluster keeps every key it writes — hashes,
 * indexes, inboxes, events, task history and logs, BullMQ's queue keys — in one hash slot on one node, and its
 * node commands (INFO) go to that node.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Cluster } from "ioredis";
import { scanKeys, testRedisUrl, testTown, uniqueTownName } from "../testing";
import { spawnAgent } from "../agent/agent.service";
import { assignTask, completeTask, createTask, startTask } from "../task/task.service";
import { appendTaskLog } from "../task/task-log";
import { sendMessage } from "../channel/channel";
import { townStatus } from "../town/status";
import { townOnRedis, type Town } from "../town/town";
import { clusterOptionsFromUrl, isCluster, keySlot, nodeFor } from "./connection";
import { townKeys } from "./keys";

let town: Town;
beforeAll(async () => {
  town = await testTown({}, "slots");
});
afterAll(() => town.close());

test("the test Redis is a 3-master cluster and the town uses a Cluster client with hash-tagged keys", async () => {
  expect(testRedisUrl()).toMatch(/^redis\+cluster:\/\//);
  expect(isCluster(town.redis)).toBe(true);
  expect(isCluster(town.blocking())).toBe(true);
  expect((town.redis as unknown as Cluster).nodes("master")).toHaveLength(3);
  expect(town.keys.prefix).toBe(`tt:{${town.name}}:`);
  expect(town.keys.bullPrefix).toBe(`tt:{${town.name}}:bull`);
});

test("keySlot agrees with CLUSTER KEYSLOT", async () => {
  const keys = [
    town.keys.meta,
    "tt:plain:meta",
    "{}x",
    "a{b}c",
    "a{}{b}",
    "tt:{é}:x",
    ...Array.from({ length: 20 }, (_, i) => `k${i}`),
  ];
  for (const key of keys) expect(keySlot(key), key).toBe(Number(await town.redis.cluster("KEYSLOT", key)));
});

test("everything a town writes is in one slot, on the node that owns it", async () => {
  const a = await spawnAgent(town, { name: "alice", model: "claude", by: "cli" });
  const t1 = await createTask(town, { description: "one", assignTo: "alice", by: "cli" });
  await createTask(town, { description: "two", by: "cli" });
  await startTask(town, { taskId: t1.id, agentId: a.id, by: "runner:slots" });
  const pipe = town.redis.pipeline();
  appendTaskLog(pipe, town, t1.id, [{ stream: "out", line: "hello" }]);
  await pipe.exec();
  await completeTask(town, { taskId: t1.id, result: "ok", by: "cli" });
  const t3 = await createTask(town, { description: "three", by: "cli" });
  await assignTask(town, { taskId: t3.id, agent: "alice", by: "cli" });
  await sendMessage(town, { to: "alice", body: "hi", from: "supervisor" });

  const keys = await scanKeys(town.redis, `tt:{${town.name}}:*`);
  const k = town.keys;
  for (const expected of [
    k.agent(a.id),
    k.task(t1.id),
    k.taskHistory(t1.id),
    k.taskLog(t1.id),
    k.inbox(a.id),
    k.inboxSeq,
    k.events,
    k.backlog,
  ]) {
    expect(keys).toContain(expected);
  }
  expect(keys.some((key) => key.startsWith(`${k.bullPrefix}:agent-${a.id}:`))).toBe(true);
  const slot = keySlot(k.meta);
  expect(new Set(keys.map(keySlot))).toEqual(new Set([slot]));
  // All of them live on the owner of that slot and nowhere else.
  const owner = nodeFor(town.redis, k.meta);
  const masters = (town.redis as unknown as Cluster).nodes("master");
  for (const node of masters) {
    const there = await scanKeys(node, `tt:{${town.name}}:*`);
    expect(there.length, `${node.options.host}:${node.options.port}`).toBe(node === owner ? keys.length : 0);
  }
});

test("town status reports the node that holds the town", async () => {
  const status = await townStatus(town);
  const info = await nodeFor(town.redis, town.keys.meta).info("server");
  expect(status.redis.pid).toBe(Number(/process_id:(\d+)/.exec(info)?.[1]));
  expect(status.redis.url).toBe(testRedisUrl());
});

test("towns spread over the masters", async () => {
  const owners = new Set<string>();
  for (let i = 0; i < 24; i++) {
    const node = nodeFor(town.redis, townKeys(uniqueTownName(), { hashTag: true }).meta);
    owners.add(`${node.options.host}:${node.options.port}`);
  }
  expect(owners.size).toBeGreaterThan(1);
});

describe("redis.cluster: true with the plain URL of one node", () => {
  let upgraded: Town;
  beforeAll(async () => {
    const [first] = clusterOptionsFromUrl(testRedisUrl()).nodes;
    upgraded = await townOnRedis({
      name: uniqueTownName("plain"),
      url: `redis://${first!.host}:${first!.port}`,
      config: { redis: { cluster: true } },
    });
  });
  afterAll(() => upgraded.close());

  test("connects as a Cluster client and hands a cluster URL on", async () => {
    expect(isCluster(upgraded.redis)).toBe(true);
    expect(upgraded.redisUrl).toMatch(/^redis\+cluster:\/\/127\.0\.0\.1:\d+$/);
    // A town whose slot lives on another node still works through the one seed node.
    for (let i = 0; i < 5; i++) await createTask(upgraded, { description: `t${i}`, by: "cli" });
    expect(await upgraded.redis.zcard(upgraded.keys.tasks)).toBe(5);
  });
});
