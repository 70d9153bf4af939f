/**
 * The runners serving a town: each registers itself (host, pid, the models it can launch), heartbeats while it runs
 * and unregisters when it stops. Runners write it; status, model availability and the runners' own reconcile read it.
 * A runner without a heartbeat for {@link RUNNER_ALIVE_MS} counts as lost.
 */
import type { Town } from "../town/town";

/** A runner counts as alive if it heartbeated within this window. */
export const RUNNER_ALIVE_MS = 15_000;

export interface RunnerInfo {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  lastSeen: number;
  models: string[];
  alive: boolean;
}

/** What a runner says about itself when it registers. */
export type RunnerRegistration = Pick<RunnerInfo, "id" | "host" | "pid" | "models">;

/** The actor a runner's changes are recorded under. */
export const runnerActor = (id: string) => `runner:${id}`;

/** The runner id in a `runner:<id>` actor, or null. */
export function runnerOf(actor: string | null | undefined): string | null {
  return actor?.startsWith("runner:") ? actor.slice("runner:".length) : null;
}

/** Registers a runner and records its first heartbeat, together. */
export async function registerRunner(town: Town, runner: RunnerRegistration): Promise<void> {
  const now = Date.now();
  const { id, ...info } = runner;
  await town.redis
    .multi()
    .hset(town.keys.runners, id, JSON.stringify({ ...info, startedAt: now }))
    .zadd(town.keys.runnerAlive, now, id)
    .exec();
}

/** Records that the runner is alive now. */
export async function heartbeatRunner(town: Town, id: string): Promise<void> {
  await town.redis.zadd(town.keys.runnerAlive, Date.now(), id);
}

/** Removes a stopping runner from the registry, with its heartbeat. */
export async function unregisterRunner(town: Town, id: string): Promise<void> {
  await town.redis.multi().hdel(town.keys.runners, id).zrem(town.keys.runnerAlive, id).exec();
}

/** Every runner's last heartbeat (ms), including runners that never registered or have unregistered since. */
export async function runnerHeartbeats(town: Town): Promise<Map<string, number>> {
  const flat = await town.redis.zrange(town.keys.runnerAlive, 0, "-1", "WITHSCORES");
  const seen = new Map<string, number>();
  for (let i = 0; i + 1 < flat.length; i += 2) seen.set(flat[i]!, Number(flat[i + 1]));
  return seen;
}

/** The registered runners, with when each was last seen and whether it is alive. */
export async function listRunners(town: Town): Promise<RunnerInfo[]> {
  const [all, seen] = await Promise.all([town.redis.hgetall(town.keys.runners), runnerHeartbeats(town)]);
  const now = Date.now();
  return Object.entries(all).map(([id, json]) => {
    const info = JSON.parse(json) as Omit<RunnerInfo, "id" | "lastSeen" | "alive">;
    const lastSeen = seen.get(id) ?? 0;
    return { ...info, id, lastSeen, alive: now - lastSeen < RUNNER_ALIVE_MS };
  });
}
