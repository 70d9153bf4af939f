import { afterAll, beforeAll, expect, test } from "vitest";
import { spawnAgent } from "../agent/agent.service";
import { createTask, startTask } from "../task/task.service";
import { testTown } from "../testing";
import type { Town } from "../town/town";
import {
  heartbeatRunner,
  listRunners,
  registerRunner,
  runnerHeartbeats,
  RUNNER_ALIVE_MS,
  unregisterRunner,
} from "./registry";
import { clearRunRecord, findRunRecord, readRunState, recordRun } from "./runs";

let town: Town;
beforeAll(async () => {
  town = await testTown({}, "runners");
});
afterAll(() => town.close());

test("a runner registers with its models, heartbeats, counts as lost without beats, and unregisters", async () => {
  await registerRunner(town, { id: "r1", host: "h", pid: 42, models: ["sim", "claude"] });
  expect(await listRunners(town)).toEqual([
    expect.objectContaining({ id: "r1", host: "h", pid: 42, models: ["sim", "claude"], alive: true }),
  ]);
  // Silent for longer than the window: still registered, no longer alive.
  await town.redis.zadd(town.keys.runnerAlive, Date.now() - RUNNER_ALIVE_MS - 1, "r1");
  expect((await listRunners(town))[0]?.alive).toBe(false);
  await heartbeatRunner(town, "r1");
  expect((await listRunners(town))[0]?.alive).toBe(true);
  expect((await runnerHeartbeats(town)).get("r1")).toBeGreaterThan(Date.now() - 1_000);
  await unregisterRunner(town, "r1");
  expect(await listRunners(town)).toEqual([]);
  expect((await runnerHeartbeats(town)).has("r1")).toBe(false);
});

test("a run record is cleared only by the runner that wrote it, for its task", async () => {
  const rec = { runner: "r1", host: "h", pid: 7, taskId: "t1", version: 3, startedAt: 1 };
  await recordRun(town, "a1", rec);
  await clearRunRecord(town, { agentId: "a1", taskId: "t1", runner: "r2" });
  await clearRunRecord(town, { agentId: "a1", taskId: "t0", runner: "r1" });
  expect(await findRunRecord(town, "a1")).toEqual(rec);
  await clearRunRecord(town, { agentId: "a1", taskId: "t1", runner: "r1" });
  expect(await findRunRecord(town, "a1")).toBeNull();
});

test("a run's state: the task's state and version and the agent's state, null for what is gone", async () => {
  const a = await spawnAgent(town, { name: "w", model: "sim", by: "ana" });
  const t = await createTask(town, { description: "x", assignTo: "w", by: "ana" });
  const running = await startTask(town, { taskId: t.id, agentId: a.id, by: "runner:r1" });
  expect(await readRunState(town, { taskId: t.id, agentId: a.id })).toEqual({
    task: { state: "running", version: running.version, waitingFor: null },
    agentState: "starting",
  });
  expect(await readRunState(town, { taskId: "gone", agentId: "gone" })).toEqual({ task: null, agentState: null });
});
