/**
 * Racing callers on separate connections (50 Town handles on one town name = 50 Redis clients): every
 * transition is one atomic, version-checked step, so exactly one racer wins and the indexes stay true.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { testRedisUrl, testTown } from "../testing";
import { expectTaskIndexesConsistent } from "../testing/inspect";
import { spawnAgent } from "../agent/agent.service";
import { readEvents } from "../channel/events";
import { isCoreError } from "../errors";
import { townOnRedis, type Town } from "../town/town";
import { nodeFor } from "../redis/connection";
import type { Agent } from "../agent/agent";
import { assignTask, cancelTask, claimTask, createTask, getTask } from "./task.service";
import type { Task } from "./task";

const RACERS = 50;
let town: Town;
let racers: Town[];
let agents: Agent[];

beforeAll(async () => {
  town = await testTown({}, "race");
  racers = await Promise.all(
    Array.from({ length: RACERS }, () => townOnRedis({ name: town.name, url: testRedisUrl() })),
  );
  // CLIENT ID of the node holding the town (on a Cluster, ids are per node).
  const ids = new Set(await Promise.all(racers.map(async (r) => nodeFor(r.redis, r.keys.meta).client("ID"))));
  expect(ids.size).toBe(RACERS); // really 50 connections
  agents = [];
  for (let i = 0; i < RACERS; i++)
    agents.push(await spawnAgent(town, { name: `racer-${i}`, model: "claude", by: "cli" }));
});
afterAll(async () => {
  await Promise.all(racers.map((r) => r.close()));
  await town.close();
});

async function eventsOf(taskId: string) {
  return (await readEvents(town, { count: 10_000 })).filter((e) => e.taskId === taskId);
}

/** Starts all calls at once and sorts the outcomes. */
async function race<T>(calls: (() => Promise<T>)[]) {
  const results = await Promise.allSettled(calls.map((c) => c()));
  const won = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  return { won, errors };
}

test("50 assigns with the same expectedVersion: exactly one wins, the rest get CONFLICT", async () => {
  const t = await createTask(town, { description: "one card, fifty hands", by: "cli" });
  const { won, errors } = await race(
    racers.map(
      (r, i) => () => assignTask(r, { taskId: t.id, agent: agents[i]!.id, expectedVersion: t.version, by: "cli" }),
    ),
  );
  expect(won).toHaveLength(1);
  expect(errors).toHaveLength(RACERS - 1);
  for (const e of errors) expect(isCoreError(e, "CONFLICT"), String(e)).toBe(true);
  const stored = await getTask(town, t.id);
  expect(stored).toEqual(won[0]);
  expect(stored).toMatchObject({ state: "assigned", version: 2 });
  const assigned = (await eventsOf(t.id)).filter((e) => e.type === "task.assigned");
  expect(assigned).toHaveLength(1);
  expect(assigned[0]!.agentId).toBe(stored.assignedTo);
  await expectTaskIndexesConsistent(town);
});

test("without expectedVersion, racing assigns serialise: each is one step, versions and events agree", async () => {
  const t = await createTask(town, { description: "last writer wins, but every write counts", by: "cli" });
  const { won, errors } = await race(
    racers.slice(0, 20).map((r, i) => () => assignTask(r, { taskId: t.id, agent: agents[i]!.id, by: "cli" })),
  );
  expect(errors).toEqual([]);
  expect(won.map((x) => x.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
  const stored = await getTask(town, t.id);
  expect(stored.version).toBe(21);
  expect(stored).toEqual(won.find((x) => x.version === 21));
  expect((await eventsOf(t.id)).filter((e) => e.type === "task.assigned")).toHaveLength(20);
  await expectTaskIndexesConsistent(town);
});

test("cancel against assign with the same expectedVersion: exactly one wins, every round", async () => {
  for (let round = 0; round < 10; round++) {
    const t = await createTask(town, { description: `cancel or assign ${round}`, by: "cli" });
    const calls = racers.map((r, i) =>
      i % 2 === 0
        ? () => cancelTask(r, { taskId: t.id, expectedVersion: t.version, by: "cli" })
        : () => assignTask(r, { taskId: t.id, agent: agents[i]!.id, expectedVersion: t.version, by: "cli" }),
    );
    const { won, errors } = await race<Task>(calls);
    expect(won).toHaveLength(1);
    for (const e of errors) expect(isCoreError(e, "CONFLICT") || isCoreError(e, "INVALID_STATE"), String(e)).toBe(true);
    const stored = await getTask(town, t.id);
    expect(stored).toEqual(won[0]);
    expect(stored.version).toBe(2);
    const changes = (await eventsOf(t.id)).filter((e) => e.type !== "task.created");
    expect(changes.map((e) => e.type)).toEqual([stored.state === "cancelled" ? "task.cancelled" : "task.assigned"]);
  }
  await expectTaskIndexesConsistent(town);
});

test("50 claimers on a backlog of 10: every task is claimed exactly once", async () => {
  const claimTown = await testTown({}, "claim");
  const handles = await Promise.all(
    Array.from({ length: RACERS }, () => townOnRedis({ name: claimTown.name, url: testRedisUrl() })),
  );
  try {
    const workers: Agent[] = [];
    for (let i = 0; i < RACERS; i++)
      workers.push(await spawnAgent(claimTown, { name: `w-${i}`, model: "claude", by: "cli" }));
    const tasks: Task[] = [];
    for (let i = 0; i < 10; i++) tasks.push(await createTask(claimTown, { description: `claim me ${i}`, by: "cli" }));

    const { won, errors } = await race(handles.map((h, i) => () => claimTask(h, { agent: workers[i]!.id, by: "cli" })));
    expect(errors).toEqual([]);
    const claimed = won.filter((t): t is Task => t !== null);
    expect(claimed).toHaveLength(10);
    expect(new Set(claimed.map((t) => t.id))).toEqual(new Set(tasks.map((t) => t.id)));
    // Each claimer got its own task and still holds it: nobody's claim was taken over by a later claimer.
    expect(new Set(claimed.map((t) => t.assignedTo)).size).toBe(10);
    for (const t of claimed) {
      const stored = await getTask(claimTown, t.id);
      expect(stored).toMatchObject({ state: "assigned", assignedTo: t.assignedTo, version: 2 });
    }
    const events = await readEvents(claimTown, { count: 10_000 });
    for (const t of tasks)
      expect(events.filter((e) => e.taskId === t.id && e.type === "task.assigned")).toHaveLength(1);
    expect(await claimTown.redis.zcard(claimTown.keys.backlog)).toBe(0);
    await expectTaskIndexesConsistent(claimTown);
  } finally {
    await Promise.all(handles.map((h) => h.close()));
    await claimTown.close();
  }
});
