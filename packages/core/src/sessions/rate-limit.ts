/**
 * Rate limits in plain output: a model that prints lines (no structured events) declares a `rateLimit` pattern; a
 * line matching it means the provider refuses work, until the time its `reset` group names when it has one.
 * Also used by the structured adapters for the limits they only report as text. Pure and client-safe.
 */
import { z } from "zod";
import { ACTIVITY_LIMITS, clip } from "./activity";

const FLAGS = /^[imsu]*$/;

export const RateLimitRule = z
  .object({
    /**
     * A JavaScript regular expression matched against each output line (at most 2,000 characters of it). A named
     * group `reset` captures when the limit ends: epoch seconds or ms, an ISO time, a clock time (`14:05`,
     * `2pm`, read as the runner's local time) or a duration (`30s`, `5 minutes`, `1h 30m`).
     */
    pattern: z.string().min(1).max(500),
    flags: z.string().regex(FLAGS, "flags are some of i, m, s, u").max(4).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    try {
      new RegExp(r.pattern, r.flags);
    } catch (err) {
      ctx.addIssue({ code: "custom", path: ["pattern"], message: `not a valid regular expression: ${String(err)}` });
    }
  });
export type RateLimitRule = z.infer<typeof RateLimitRule>;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b/gi;
const CLOCK = /\b(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\b/i;

function unitMs(unit: string): number {
  const u = unit.toLowerCase();
  if (u === "ms" || u.startsWith("milli")) return UNIT_MS.ms!;
  return UNIT_MS[u[0]!] ?? 0;
}

/**
 * When a limit ends, from what a CLI printed: epoch seconds or ms, an ISO time, a duration from `now`
 * (`in 5 minutes`, `1h 30m`) or a clock time (`14:05`, `2pm`, `3:05 PM`; the next such time in the runner's
 * local time). Null when the text names no time.
 */
export function parseResetTime(text: string, now = Date.now()): number | null {
  const t = text.trim();
  if (/^\d{10}(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  if (/^\d{13}$/.test(t)) return Number(t);
  if (/^\d{4}-\d{2}-\d{2}T/.test(t)) {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? null : ms;
  }
  let total = 0;
  for (const m of t.matchAll(DURATION)) total += Number(m[1]) * unitMs(m[2]!);
  if (total > 0) return now + Math.round(total);
  const c = CLOCK.exec(t);
  if (!c || (!c[2] && !c[3])) return null;
  let hours = Number(c[1]);
  const minutes = Number(c[2] ?? 0);
  const half = c[3]?.toLowerCase();
  if (half === "pm" && hours < 12) hours += 12;
  if (half === "am" && hours === 12) hours = 0;
  if (hours > 23 || minutes > 59) return null;
  const at = new Date(now);
  at.setHours(hours, minutes, 0, 0);
  if (at.getTime() <= now) at.setDate(at.getDate() + 1);
  return at.getTime();
}

/** A rule, compiled once per run. */
export function compileRateLimitRule(rule: RateLimitRule): RegExp {
  return new RegExp(rule.pattern, (rule.flags ?? "").replace(/[gy]/g, ""));
}

/** The limit a line reports, or null when the rule does not match it. */
export function rateLimitFromLine(
  rule: RegExp,
  line: string,
  now = Date.now(),
): { until: number | null; message: string } | null {
  const head = line.slice(0, ACTIVITY_LIMITS.raw);
  const m = rule.exec(head);
  if (!m) return null;
  const reset = m.groups?.reset;
  return { until: reset ? parseResetTime(reset, now) : null, message: clip(head, ACTIVITY_LIMITS.message) };
}

/**
 * Usage-limit wording the CLIs print in their own error text (claude's "usage limit reached|<epoch>" and "You've
 * hit your limit · resets 2pm", codex's "You've hit your usage limit … try again at 3:05 PM" and "429 Too Many
 * Requests"). The reset time, when present, follows `|`, `resets` or `try again (at|in)`.
 */
export const KNOWN_LIMIT_TEXT =
  /usage limit|hit your (?:usage )?limit|rate limit|too many requests|\b429\b|quota exceeded|resource_exhausted/i;
const KNOWN_RESET =
  /(?:limit reached\|(\d{10,13}))|(?:resets?(?: at)?\s+([^()·\n]+))|(?:try again (?:at|in)\s+([^.()\n]+))/i;

/** The limit a CLI's error text reports, by the wording above; null when the text is not about a limit. */
export function rateLimitFromText(text: string, now = Date.now()): { until: number | null; message: string } | null {
  const head = text.slice(0, ACTIVITY_LIMITS.raw);
  if (!KNOWN_LIMIT_TEXT.test(head)) return null;
  const m = KNOWN_RESET.exec(head);
  const reset = m ? (m[1] ?? m[2] ?? m[3] ?? "") : "";
  return { until: reset ? parseResetTime(reset, now) : null, message: clip(head, ACTIVITY_LIMITS.message) };
}
