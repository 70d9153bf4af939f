// The errors module alone: agent-mode `tt` maps codes too, without loading the rest of core.
import { CoreError, type CoreErrorCode } from "@tinytown/core/errors";

/** The one mapping from core errors to `tt` exit codes (documented in `tt --help`). */
export const EXIT: Record<CoreErrorCode | "USAGE", number> = {
  INTERNAL: 1,
  USAGE: 2,
  VALIDATION: 2,
  AMBIGUOUS: 2,
  NOT_FOUND: 3,
  NOT_A_TOWN: 3,
  INVALID_STATE: 4,
  CONFLICT: 4,
  ALREADY_EXISTS: 4,
  REDIS_NOT_INSTALLED: 5,
  REDIS_UNAVAILABLE: 5,
  TIMEOUT: 6,
  UNAUTHORIZED: 7,
  FORBIDDEN: 7,
};

export const EXIT_HELP = `Exit codes:
  0  ok
  1  internal error
  2  bad input (validation, ambiguous reference, usage)
  3  not found (agent, task, or no town here)
  4  refused: illegal state change, stale version, name taken
  5  Redis not installed or unreachable
  6  timed out (tt wait)
  7  not signed in or not allowed`;

export function exitCodeFor(err: unknown): number {
  if (err instanceof CoreError) return EXIT[err.code];
  return EXIT.INTERNAL;
}
