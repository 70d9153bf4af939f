/**
 * The one error type of the core. Adapters map `code` once each: to tRPC codes (packages/api),
 * to exit codes (apps/cli), to retry/unrecoverable (apps/runner).
 */
export type CoreErrorCode =
  | "VALIDATION" // the input is wrong; nothing was written
  | "NOT_FOUND" // no such agent/task/town
  | "AMBIGUOUS" // a reference matches several things
  | "ALREADY_EXISTS" // a name or a town is taken
  | "INVALID_STATE" // the transition is not legal from the current state
  | "CONFLICT" // the caller's expected version is stale
  | "NOT_A_TOWN" // no tinytown.json here or above
  | "REDIS_NOT_INSTALLED" // redis-server missing or too old
  | "REDIS_UNAVAILABLE" // could not reach or start Redis
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "TIMEOUT"
  | "INTERNAL";

export class CoreError extends Error {
  override readonly name = "CoreError";
  constructor(
    readonly code: CoreErrorCode,
    message: string,
    /** Machine-readable facts, e.g. `{ state: "running", version: 4 }` or `{ candidates: [...] }`. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function isCoreError(err: unknown, code?: CoreErrorCode): err is CoreError {
  return err instanceof CoreError && (code === undefined || err.code === code);
}

/** Turns a zod error into a VALIDATION CoreError whose message names each bad field. */
export function validationError(what: string, issues: { path: PropertyKey[]; message: string }[]): CoreError {
  const parts = issues.map((i) => (i.path.length ? `${i.path.map(String).join(".")}: ${i.message}` : i.message));
  return new CoreError("VALIDATION", `invalid ${what}: ${parts.join("; ")}`, { issues: parts });
}
