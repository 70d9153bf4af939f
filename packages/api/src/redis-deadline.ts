import { CoreError, HASH_WAIT_MS, type Town } from "@tinytown/core";

/** How long a request may wait on a Redis that does not answer (paused, overloaded) before a 503. */
export const REDIS_DEADLINE_MS = 3_000;

/** Fails with REDIS_UNAVAILABLE at once when the town's connection is down (instead of queueing behind reconnects). */
export function assertRedisReady(town: Town): void {
  if (town.redis.status !== "ready")
    throw new CoreError(
      "REDIS_UNAVAILABLE",
      `the town's Redis is unreachable (connection ${town.redis.status}); try again in a moment`,
    );
}

/**
 * Procedures that hash passwords (sign-in, password change) may wait for a hash slot (core HASH_WAIT_MS) and then
 * compute up to two ~0.4 s hashes on a busy machine: a deadline of 3 s would call that a dead Redis.
 */
export const PASSWORD_DEADLINE_MS = HASH_WAIT_MS + 20_000;

/** Races `run` against the deadline: every request that touches Redis settles, with its result or a clear 503. */
export function withRedisDeadline<T>(run: Promise<T>, ms = REDIS_DEADLINE_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new CoreError(
          "REDIS_UNAVAILABLE",
          `the town's Redis did not answer within ${ms / 1000} s (paused or overloaded); a change may still be applied when it answers, so check before retrying`,
        ),
      );
    }, ms);
  });
  return Promise.race([run, deadline]).finally(() => clearTimeout(timer));
}
