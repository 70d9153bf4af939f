/**
 * Models that print plain lines: each line passes through as a `raw` event, and a line matching the model's
 * `rateLimit` pattern is also a `rate_limit` (its reset from the pattern's `reset` group, else from the CLIs' usual
 * wording). No tokens, no cost: such CLIs do not say.
 */
import { ACTIVITY_LIMITS, clip, type ActivityEvent } from "../activity";
import { compileRateLimitRule, rateLimitFromLine, rateLimitFromText } from "../rate-limit";
import { newAdapterState, type ActivityAdapter, type AdapterOptions, type AdapterState } from "./types";

export class LinesAdapter implements ActivityAdapter {
  readonly protocol = "lines" as const;
  readonly state: AdapterState = newAdapterState();
  private readonly rule: RegExp | null;
  private readonly raw: boolean;
  private readonly now: () => number;

  constructor(opts: AdapterOptions = {}) {
    this.rule = opts.rateLimit ? compileRateLimitRule(opts.rateLimit) : null;
    this.raw = opts.raw ?? true;
    this.now = opts.now ?? Date.now;
  }

  push(line: string): ActivityEvent[] {
    const out: ActivityEvent[] = this.raw ? [{ kind: "raw", line: clip(line, ACTIVITY_LIMITS.raw) }] : [];
    if (!this.rule || this.state.rateLimited) return out;
    const hit = rateLimitFromLine(this.rule, line, this.now());
    if (!hit) return out;
    const until = hit.until ?? rateLimitFromText(line, this.now())?.until ?? null;
    this.state.rateLimited = { until };
    out.push({ kind: "rate_limit", status: "limited", until, message: hit.message });
    return out;
  }

  end(): ActivityEvent[] {
    return [];
  }
}
