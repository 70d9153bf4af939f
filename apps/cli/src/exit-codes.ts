import { CommanderError } from "commander";
// The errors module alone: agent-mode `tt` maps codes too, without loading the rest of core.
import { toCoreError, type CoreErrorCode } from "@tinytown/core/errors";

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
  5  Redis not installed, unreachable, or not answering within TT_REDIS_TIMEOUT seconds (default 30)
  6  timed out (tt wait)
  7  not signed in or not allowed`;

export interface CliError {
  code: CoreErrorCode | "USAGE";
  message: string;
  details?: Record<string, unknown>;
  exit: number;
  stack?: string;
}

/** Any error as the CLI reports it: a code, a message for people, and the exit code. */
export function cliError(err: unknown): CliError {
  if (err instanceof CommanderError)
    return { code: "USAGE", message: err.message.replace(/^error: /, ""), exit: EXIT.USAGE };
  const core = toCoreError(err);
  const own = core === err;
  return {
    code: core.code,
    message: core.message,
    ...(own ? { details: core.details } : {}),
    exit: EXIT[core.code],
    ...(core.code === "INTERNAL" && !own ? { stack: (core.cause as Error | undefined)?.stack } : {}),
  };
}
