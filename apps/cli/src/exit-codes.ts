import { CommanderError } from "commander";
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
  5  Redis not installed, unreachable, or not answering within TT_REDIS_TIMEOUT seconds (default 30)
  6  timed out (tt wait)
  7  not signed in or not allowed`;

export function exitCodeFor(err: unknown): number {
  return cliError(err).exit;
}

export interface CliError {
  code: CoreErrorCode | "USAGE";
  message: string;
  details?: Record<string, unknown>;
  exit: number;
  stack?: string;
}

/** ioredis failures that mean Redis is not there (or not answering), rather than a bug. */
const REDIS_DOWN = /ECONNREFUSED|ENOENT|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|Connection is closed|Command timed out/;

/** Any error as the CLI reports it: a code, a message for people, and the exit code. */
export function cliError(err: unknown): CliError {
  if (err instanceof CoreError)
    return { code: err.code, message: err.message, details: err.details, exit: EXIT[err.code] };
  if (err instanceof CommanderError)
    return { code: "USAGE", message: err.message.replace(/^error: /, ""), exit: EXIT.USAGE };
  const e = err as Error | undefined;
  if (e?.name === "MaxRetriesPerRequestError" || REDIS_DOWN.test(String(e?.message))) {
    const timedOut = /Command timed out/.test(String(e?.message));
    return {
      code: "REDIS_UNAVAILABLE",
      message: timedOut
        ? "Redis did not answer in time (paused, overloaded or unreachable): nothing was confirmed, but a change may " +
          "still be applied when it answers, so check (`tt tasks`, `tt status`) before trying again"
        : `Redis is unreachable (${e?.message ?? "connection lost"}): is the town up? \`tt status\` says, \`tt up\` starts it`,
      exit: EXIT.REDIS_UNAVAILABLE,
    };
  }
  return { code: "INTERNAL", message: e?.message ?? String(err), exit: EXIT.INTERNAL, stack: e?.stack };
}
