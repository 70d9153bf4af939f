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
