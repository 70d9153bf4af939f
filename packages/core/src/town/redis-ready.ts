/**
 * The one check that a town's Redis can answer now, and the one bound on how long a caller waits for it: every
 * request a server handles settles, with its result or a clear REDIS_UNAVAILABLE, even when Redis hangs.
 */
import { HASH_WAIT_MS } from "../auth/password";
import { CoreError } from "../errors";
import type { Town } from "./town";

/** How long a request may wait on a Redis that does not answer (paused, overloaded) before it is refused. */
export const REDIS_DEADLINE_MS = 3_000;

/**
 * Requests that hash passwords (sign-in, password change) may wait for a hash slot (HASH_WAIT_MS) and then compute
 * up to two ~0.4 s hashes on a busy machine: a deadline of 3 s would call that a dead Redis.
 */
export const PASSWORD_DEADLINE_MS = HASH_WAIT_MS + 20_000;

/** Fails with REDIS_UNAVAILABLE at once when the town's connection is down (instead of queueing behind reconnects). */
export function assertRedisReady(town: Town): void {
  if (town.redis.status !== "ready")
    throw new CoreError(
      "REDIS_UNAVAILABLE",
      `the town's Redis is unreachable (connection ${town.redis.status}); try again in a moment`,
    );
}

/** Races `run` against the deadline: it settles with its result, or with REDIS_UNAVAILABLE after `ms`. */
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
