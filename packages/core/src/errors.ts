/**
 * The one error type of the core. Anything thrown becomes one through {@link toCoreError}; adapters then map `code`
 * once each: to tRPC codes (packages/api), to exit codes (apps/cli), to MCP tool errors (apps/mcp), to HTTP statuses
 * (the runner's agent API). No zod or ioredis import here: the agent-mode `tt` bundles this module alone.
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
    /** The value this error stands for, when it was not a CoreError (see {@link toCoreError}). */
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isCoreError(err: unknown, code?: CoreErrorCode): err is CoreError {
  return err instanceof CoreError && (code === undefined || err.code === code);
}

/**
 * Someone else changed the thing first: a version-checked change found a newer version (CONFLICT) or a state that no
 * longer allows it (INVALID_STATE). The one test for "lost the race" — the caller re-reads, or leaves it to the winner.
 */
export function isLostRace(err: unknown): err is CoreError {
  return isCoreError(err, "CONFLICT") || isCoreError(err, "INVALID_STATE");
}

/** A validation issue as zod reports it (the fields used to word it for people). */
export interface Issue {
  path: PropertyKey[];
  message: string;
  code?: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  expected?: string;
  values?: unknown[];
  keys?: string[];
}

/** zod's own wording ("Too small: expected string to have >=1 characters") starts with one of these. */
const ZOD_DEFAULT = /^(Too small|Too big|Invalid input|Invalid option|Invalid string|Unrecognized key|Invalid)/;

/** Says what is wrong with a field in plain words; a message the schema chose is kept as it is. */
function describeIssue(i: Issue): string {
  if (!ZOD_DEFAULT.test(i.message)) return i.message;
  const n = (v: number | bigint | undefined) => String(v);
  switch (i.code) {
    case "too_small":
      if (i.origin === "string")
        return Number(i.minimum) <= 1 ? "is empty" : `is too short (at least ${n(i.minimum)} characters)`;
      if (i.origin === "array" || i.origin === "set") return `needs at least ${n(i.minimum)} item(s)`;
      return `must be ${i.inclusive === false ? "more than" : "at least"} ${n(i.minimum)}`;
    case "too_big":
      if (i.origin === "string") return `is too long (at most ${n(i.maximum)} characters)`;
      if (i.origin === "array" || i.origin === "set") return `has too many items (at most ${n(i.maximum)})`;
      return `must be ${i.inclusive === false ? "less than" : "at most"} ${n(i.maximum)}`;
    case "invalid_type":
      if (/received undefined/.test(i.message)) return "is missing";
      return i.expected === "int" ? "must be a whole number" : `must be ${article(i.expected ?? "value")}`;
    case "invalid_value":
      return `must be one of: ${(i.values ?? []).map(String).join(", ")}`;
    case "unrecognized_keys":
      return `has unknown field(s) ${(i.keys ?? []).join(", ")}: remove them`;
    case "invalid_format":
      return "has the wrong format";
    default:
      return i.message;
  }
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/** Turns a zod error into a VALIDATION CoreError whose message names each bad field and what is wrong with it. */
export function validationError(what: string, issues: Issue[]): CoreError {
  const parts = issues.map((i) => {
    const text = describeIssue(i);
    if (!i.path.length) return text.replace(/^has unknown/, "unknown");
    const field = i.path.map(String).join(".");
    return text === i.message ? `${field}: ${text}` : `${field} ${text}`;
  });
  return new CoreError("VALIDATION", `invalid ${what}: ${parts.join("; ")}`, { issues: parts });
}

/** ioredis failures that mean Redis is not there or not answering, rather than a bug. */
const REDIS_DOWN =
  /ECONNREFUSED|connect ENOENT|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENOTFOUND|Connection is closed|Command timed out/;

/** ioredis gave up on a command (MaxRetriesPerRequestError, a command timeout) or found its connection closed or refused. */
export function isRedisConnectionError(err: unknown): err is Error {
  return err instanceof Error && (err.name === "MaxRetriesPerRequestError" || REDIS_DOWN.test(err.message));
}

/** A zod error, recognised without importing zod. */
function isZodError(err: unknown): err is Error & { issues: Issue[] } {
  return err instanceof Error && err.name === "ZodError" && Array.isArray((err as { issues?: unknown }).issues);
}

/** "path: message" for each issue, as zod words it (the path is left out for a top-level issue). */
function zodIssues(issues: Issue[]): string[] {
  return issues.map((i) => (i.path.length ? `${i.path.map(String).join(".")}: ${i.message}` : i.message));
}

/**
 * The ONE normaliser: any thrown value as the CoreError it stands for. A CoreError as it is; bad input (a zod error
 * that escaped a schema) as VALIDATION naming each field; a lost or silent Redis as REDIS_UNAVAILABLE; anything else
 * as INTERNAL with its own message. The original value is kept as `cause`.
 */
export function toCoreError(err: unknown): CoreError {
  if (err instanceof CoreError) return err;
  if (isZodError(err)) {
    const issues = zodIssues(err.issues);
    return new CoreError("VALIDATION", `invalid input: ${issues.join("; ")}`, { issues }, { cause: err });
  }
  if (isRedisConnectionError(err)) {
    const message = /Command timed out/.test(err.message)
      ? "the town's Redis did not answer in time (paused, overloaded or unreachable): nothing was confirmed, but a " +
        "change may still be applied when it answers, so check what changed before trying again"
      : `the town's Redis is unreachable (${err.message}); try again in a moment`;
    return new CoreError("REDIS_UNAVAILABLE", message, {}, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CoreError("INTERNAL", message, {}, { cause: err });
}
