/**
 * The normalised activity model: what an agent did during a run, whatever CLI it is. Adapters
 * (`sessions/adapters/`) turn a CLI's structured events into these; other models produce `raw` lines. Client-safe
 * (exported from `@tinytown/core/schema`): no Node, no Redis.
 *
 * Every string is bounded (the limits below); adapters clip with `clip`, the schemas refuse longer ones.
 * `usage` and `cost` events are deltas: the sum of a run's events is the run's total, so storage only adds.
 */
import { z } from "zod";

/** How a model's stdout is read: plain lines, or one of the structured event streams an adapter understands. */
export const PROTOCOLS = ["lines", "claude-stream-json", "codex-json"] as const;
export const Protocol = z.enum(PROTOCOLS);
export type Protocol = z.infer<typeof Protocol>;

export const ACTIVITY_LIMITS = {
  /** Assistant text and reasoning. */
  text: 4_000,
  /** A tool's name (`Bash`, `github.search_issues`). */
  name: 128,
  /** A tool call's input, summarised (`npm test`, `src/a.ts`). */
  summary: 200,
  /** A tool result's output (its head). */
  output: 1_000,
  path: 512,
  message: 1_000,
  raw: 2_000,
  id: 128,
  model: 128,
} as const;

/** `s` cut to at most `max` UTF-16 units, ending in `…` when cut, never splitting a surrogate pair. */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${s.slice(0, end)}…`;
}

const str = (max: number) => z.string().max(max);
const count = z.number().int().nonnegative().max(1e12);
/** A delta may be negative: a CLI's final report corrects the estimates made during the run. */
const delta = z.number().int().min(-1e12).max(1e12);

/**
 * A session id a CLI handed out. It is passed back as an argv element (`--resume <id>`), so it may not start
 * with `-` (it would read as a flag) and holds only id characters.
 */
export const SessionId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "a session id is 1-128 letters, digits, '.', '_', ':' or '-'");
export type SessionId = z.infer<typeof SessionId>;

/** Token counts. `input` excludes cached input: `input + cacheRead + cacheWrite` is what the model read. */
export const Tokens = z.object({ input: delta, output: delta, cacheRead: delta, cacheWrite: delta });
export type Tokens = z.infer<typeof Tokens>;
export const ZERO_TOKENS: Tokens = Object.freeze({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });

const Parent = { parent: str(ACTIVITY_LIMITS.id).optional() };

export const TextActivity = z.object({
  kind: z.literal("text"),
  text: str(ACTIVITY_LIMITS.text),
  /** The model's reasoning (thinking), not its answer. */
  reasoning: z.boolean().optional(),
  ...Parent,
});
export const ToolCallActivity = z.object({
  kind: z.literal("tool_call"),
  /** Pairs the call with its `tool_result`. */
  callId: str(ACTIVITY_LIMITS.id).optional(),
  name: str(ACTIVITY_LIMITS.name),
  summary: str(ACTIVITY_LIMITS.summary),
  ...Parent,
});
export const ToolResultActivity = z.object({
  kind: z.literal("tool_result"),
  callId: str(ACTIVITY_LIMITS.id).optional(),
  ok: z.boolean(),
  output: str(ACTIVITY_LIMITS.output),
  exitCode: z.number().int().optional(),
  ...Parent,
});
export const FileEditActivity = z.object({
  kind: z.literal("file_edit"),
  path: str(ACTIVITY_LIMITS.path),
  change: z.enum(["add", "update", "delete"]).optional(),
  added: count.optional(),
  removed: count.optional(),
});
export const UsageActivity = z.object({
  kind: z.literal("usage"),
  tokens: Tokens,
  /** The provider's model id (`claude-sonnet-4-5-20250929`) when the CLI says which model it ran. */
  model: str(ACTIVITY_LIMITS.model).optional(),
  /** No price is known for these tokens: their cost is missing from the sums (shown as "cost unknown"). */
  unpriced: z.boolean().optional(),
});
export const CostActivity = z.object({
  kind: z.literal("cost"),
  /** US dollars, a delta (a multiple of $0.000001). */
  usd: z.number().min(-1e9).max(1e9),
  /** `reported`: the CLI's own figure; `estimated`: tokens × the town's price table. */
  source: z.enum(["reported", "estimated"]),
  model: str(ACTIVITY_LIMITS.model).optional(),
});
export const SessionActivity = z.object({
  kind: z.literal("session"),
  sessionId: SessionId,
  model: str(ACTIVITY_LIMITS.model).optional(),
});
export const RateLimitActivity = z.object({
  kind: z.literal("rate_limit"),
  /** `limited`: the provider refuses work until `until`; `warning`: close to a limit, work continues. */
  status: z.enum(["limited", "warning"]),
  /** Epoch ms when the limit resets, when the CLI says. */
  until: z.number().int().nonnegative().nullable(),
  message: str(ACTIVITY_LIMITS.message).optional(),
});
export const ErrorActivity = z.object({
  kind: z.literal("error"),
  message: str(ACTIVITY_LIMITS.message),
  /** The run cannot go on (a failed turn, the process ended without a result). */
  fatal: z.boolean().optional(),
});
export const RawActivity = z.object({ kind: z.literal("raw"), line: str(ACTIVITY_LIMITS.raw) });

export const ActivityEvent = z.discriminatedUnion("kind", [
  TextActivity,
  ToolCallActivity,
  ToolResultActivity,
  FileEditActivity,
  UsageActivity,
  CostActivity,
  SessionActivity,
  RateLimitActivity,
  ErrorActivity,
  RawActivity,
]);
export type ActivityEvent = z.infer<typeof ActivityEvent>;
export type ActivityKind = ActivityEvent["kind"];
export const ACTIVITY_KINDS = [
  "text",
  "tool_call",
  "tool_result",
  "file_edit",
  "usage",
  "cost",
  "session",
  "rate_limit",
  "error",
  "raw",
] as const satisfies readonly ActivityKind[];

/** One stored activity event: the event plus its stream id (resume from it), time and run. */
export type ActivityEntry = ActivityEvent & { id: string; at: number; run: string };

/** Adds token counts. */
export function addTokens(a: Tokens, b: Tokens): Tokens {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
  };
}

/** `a - b`, field by field. */
export function subTokens(a: Tokens, b: Tokens): Tokens {
  return {
    input: a.input - b.input,
    output: a.output - b.output,
    cacheRead: a.cacheRead - b.cacheRead,
    cacheWrite: a.cacheWrite - b.cacheWrite,
  };
}

export const isZeroTokens = (t: Tokens) => t.input === 0 && t.output === 0 && t.cacheRead === 0 && t.cacheWrite === 0;
export const totalTokens = (t: Tokens) => t.input + t.output + t.cacheRead + t.cacheWrite;
