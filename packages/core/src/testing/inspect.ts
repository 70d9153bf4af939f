/**
 * Test-only views of a town's raw Redis state: a full dump of its keys (to prove that a refused change wrote
 * nothing) and a check that the task indexes agree with the task hashes. SCAN lives here, never in product code.
 */
import type { Cluster, Redis } from "ioredis";
import { isCluster } from "../redis/connection";
import { expect } from "vitest";
import { TASK_STATES, priorityRank, type Task } from "../task/task";
import { getTask } from "../task/task.service";
import { AGENT_STATES } from "../agent/agent";
import { listAgents } from "../agent/agent.service";
import type { Town } from "../town/town";
import { CoreError, type CoreErrorCode } from "../errors";

const escapeGlob = (s: string) => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/** All keys matching a glob, via SCAN (of every master on a Cluster: SCAN is a per-node command). */
export async function scanKeys(redis: Redis, match: string): Promise<string[]> {
  const out = new Set<string>();
  const nodes = isCluster(redis) ? (redis as unknown as Cluster).nodes("master") : [redis];
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", match, "COUNT", 1000);
      cursor = next;
      for (const k of keys) out.add(k);
    } while (cursor !== "0");
  }
  return [...out].sort();
}

/** Every key of the town with its type and full content; equal dumps mean nothing was written. */
export async function dumpTown(town: Town): Promise<Record<string, unknown>> {
  const r = town.redis;
  const keys = await scanKeys(r, `${escapeGlob(town.keys.prefix)}*`);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await r.type(key);
    if (type === "string") out[key] = { type, v: await r.get(key) };
    else if (type === "hash") out[key] = { type, v: await r.hgetall(key) };
    else if (type === "zset") out[key] = { type, v: await r.zrange(key, 0, "-1", "WITHSCORES") };
    else if (type === "set") out[key] = { type, v: (await r.smembers(key)).sort() };
    else if (type === "list") out[key] = { type, v: await r.lrange(key, 0, -1) };
    else if (type === "stream") out[key] = { type, v: await r.xrange(key, "-", "+") };
    else out[key] = { type };
  }
  return out;
}

const sorted = (xs: string[]) => [...xs].sort();

/** Asserts that every task index (by state, backlog, by agent, ids) agrees with the task hashes. */
export async function expectTaskIndexesConsistent(town: Town): Promise<Task[]> {
  const r = town.redis;
  const k = town.keys;
  const ids = await r.zrange(k.tasks, 0, "-1");
  const tasks = await Promise.all(ids.map((id) => getTask(town, id)));
  expect(sorted(await r.zrange(k.taskIds, 0, "-1"))).toEqual(sorted(ids));
  for (const s of TASK_STATES) {
    expect(sorted(await r.zrange(k.tasksByState(s), 0, "-1")), `tasks:state:${s}`).toEqual(
      sorted(tasks.filter((t) => t.state === s).map((t) => t.id)),
    );
  }
  const pending = tasks.filter((t) => t.state === "pending");
  const backlog = await r.zrange(k.backlog, 0, "-1", "WITHSCORES");
  const backlogIds: string[] = [];
  for (let i = 0; i < backlog.length; i += 2) {
    const t = pending.find((p) => p.id === backlog[i]);
    expect(t, `backlog member ${backlog[i]} is a pending task`).toBeDefined();
    expect(Number(backlog[i + 1])).toBe(priorityRank(t!.priority) * 1e13 + t!.createdAt);
    backlogIds.push(backlog[i]!);
  }
  expect(sorted(backlogIds)).toEqual(sorted(pending.map((t) => t.id)));
  for (const t of tasks) {
    if (t.state === "pending") expect(t.assignedTo, `pending task ${t.id} has no agent`).toBeNull();
    if (t.state === "assigned" || t.state === "running")
      expect(t.assignedTo, `${t.state} task ${t.id} has an agent`).not.toBeNull();
  }
  const agentPrefix = k.tasksByAgent("");
  const agentKeys = await scanKeys(r, `${escapeGlob(agentPrefix)}*`);
  const agentIds = new Set([
    ...agentKeys.map((key) => key.slice(agentPrefix.length)),
    ...tasks.flatMap((t) => (t.assignedTo ? [t.assignedTo] : [])),
  ]);
  for (const agentId of agentIds) {
    expect(sorted(await r.zrange(k.tasksByAgent(agentId), 0, "-1")), `tasks:agent:${agentId}`).toEqual(
      sorted(tasks.filter((t) => t.assignedTo === agentId).map((t) => t.id)),
    );
  }
  return tasks;
}

/** Asserts that the agent indexes (by state, names, ids) agree with the agent hashes. */
export async function expectAgentIndexesConsistent(town: Town): Promise<void> {
  const r = town.redis;
  const k = town.keys;
  const agents = await listAgents(town);
  const ids = agents.map((a) => a.id);
  expect(sorted(await r.zrange(k.agents, 0, "-1"))).toEqual(sorted(ids));
  expect(sorted(await r.zrange(k.agentIds, 0, "-1"))).toEqual(sorted(ids));
  expect(await r.hgetall(k.agentNames)).toEqual(Object.fromEntries(agents.map((a) => [a.name, a.id])));
  for (const s of AGENT_STATES) {
    expect(sorted(await r.zrange(k.agentsByState(s), 0, "-1")), `agents:state:${s}`).toEqual(
      sorted(agents.filter((a) => a.state === s).map((a) => a.id)),
    );
  }
}

/** Expects `fn` to reject with a CoreError of `code`; returns the error. */
export async function expectCoreError(fn: () => Promise<unknown>, code: CoreErrorCode): Promise<CoreError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a CoreError ${code}`).toBeInstanceOf(CoreError);
  const err = caught as CoreError;
  expect(err.code, err.message).toBe(code);
  return err;
}

/** Runs `fn` and asserts that it fails with `code` and leaves every key of the town exactly as it was. */
export async function expectRefusedUnchanged(
  town: Town,
  fn: () => Promise<unknown>,
  code: CoreErrorCode,
): Promise<CoreError> {
  const before = await dumpTown(town);
  const err = await expectCoreError(fn, code);
  expect(await dumpTown(town)).toEqual(before);
  return err;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every `every` ms until it returns something truthy (returned), or fails naming `what` after `ms`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  ms = 15_000,
  every = 25,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

/**
 * The commands `town`'s client sends while `fn` runs, in order (what a step costs in round trips; commands a script
 * runs inside Redis are not sent by the client). Counts this client only, unlike INFO commandstats, which counts
 * every client of the server (other test files share it) and, on a Cluster, one node.
 */
export async function commandsSent<T>(town: Town, fn: () => Promise<T>): Promise<{ result: T; sent: string[] }> {
  const sent: string[] = [];
  const redis = town.redis;
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (cmd: { name: string }, ...rest: unknown[]) => {
    sent.push(cmd.name.toLowerCase());
    return (send as (...a: unknown[]) => unknown)(cmd, ...rest);
  };
  try {
    return { result: await fn(), sent };
  } finally {
    redis.sendCommand = send;
  }
}
