import type { Town } from "./town";

export interface ThroughputBucket {
  /** Start of the minute, ms since the epoch. */
  at: number;
  completed: number;
  failed: number;
}

const MINUTE = 60_000;

/**
 * Tasks completed and failed per minute over the last `minutes` minutes (oldest first, the current minute
 * last). Counts with ZCOUNT on the completed/failed state indexes, whose scores are the time of the change, so
 * the cost does not depend on the number of tasks. A task that was retried since has left the failed index and
 * no longer counts.
 */
export async function taskThroughput(
  town: Town,
  opts: { minutes?: number; now?: number } = {},
): Promise<ThroughputBucket[]> {
  const minutes = opts.minutes ?? 60;
  const current = Math.floor((opts.now ?? Date.now()) / MINUTE) * MINUTE;
  const starts = Array.from({ length: minutes }, (_, i) => current - (minutes - 1 - i) * MINUTE);
  const pipe = town.redis.pipeline();
  for (const at of starts) {
    pipe.zcount(town.keys.tasksByState("completed"), at, `(${at + MINUTE}`);
    pipe.zcount(town.keys.tasksByState("failed"), at, `(${at + MINUTE}`);
  }
  const rows = (await pipe.exec()) ?? [];
  const count = (i: number) => {
    const [err, n] = rows[i] ?? [null, 0];
    if (err) throw err;
    return Number(n);
  };
  return starts.map((at, i) => ({ at, completed: count(2 * i), failed: count(2 * i + 1) }));
}
