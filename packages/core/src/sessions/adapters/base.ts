/**
 * What both structured adapters share: the events being built for the current line, token and cost accounting
 * (deltas, per model, in whole micro-dollars so that sums stay exact), the session id, the tool calls still open,
 * and the end of the process.
 */
import {
  ACTIVITY_LIMITS,
  addTokens,
  clip,
  isZeroTokens,
  SessionId,
  subTokens,
  ZERO_TOKENS,
  type ActivityEvent,
  type Protocol,
  type Tokens,
} from "../activity";
import { costMicros, findPrice, priceTable, type PriceTable } from "../pricing";
import { rateLimitFromText } from "../rate-limit";
import { newAdapterState, type ActivityAdapter, type AdapterOptions, type AdapterState } from "./types";

/** Tool calls remembered until their result; more than this many open at once are forgotten oldest first. */
const MAX_OPEN_CALLS = 1_000;
/** One event's bounds (the schema's): no CLI figure, however wrong, makes an event storage would refuse. */
const MAX_TOKENS = 1e12;
const MAX_MICROS = 1e15;

export abstract class StructuredAdapter<Call = unknown> implements ActivityAdapter {
  abstract readonly protocol: Protocol;
  readonly state: AdapterState = newAdapterState();
  protected out: ActivityEvent[] = [];
  protected readonly now: () => number;
  private readonly pricing: PriceTable;
  private micros = 0;
  private readonly tokensBy = new Map<string, Tokens>();
  private readonly microsBy = new Map<string, number>();
  private turnStart = { tokens: { ...ZERO_TOKENS }, micros: 0 };
  /** Open tool calls by id, with what the adapter needs to close them. */
  protected readonly open = new Map<string, Call>();

  constructor(protected readonly opts: AdapterOptions = {}) {
    this.pricing = priceTable(opts.pricing);
    this.now = opts.now ?? Date.now;
  }

  push(line: string): ActivityEvent[] {
    this.out = [];
    try {
      this.line(line);
    } catch (err) {
      // A safety net: the readers below never throw on bad input, but a line must never stop a run.
      this.state.malformed++;
      this.error(`could not read a ${this.protocol} line: ${String(err)}`);
    }
    return this.out;
  }

  end(exit?: { code: number | null; signal?: string | null }): ActivityEvent[] {
    this.out = [];
    for (const id of this.open.keys())
      this.out.push({
        kind: "tool_result",
        callId: clip(id, ACTIVITY_LIMITS.id),
        ok: false,
        output: "no result: the process ended",
      });
    this.open.clear();
    if (!this.state.finished) {
      const how = exit?.signal ? `signal ${exit.signal}` : exit?.code != null ? `exit code ${exit.code}` : "its end";
      this.error(`the process ended (${how}) before it reported the end of its turn`, true);
    }
    return this.out;
  }

  protected abstract line(line: string): void;

  /** A line that is not an event: shown as it is. */
  protected raw(line: string): void {
    this.state.malformed++;
    this.out.push({ kind: "raw", line: clip(line, ACTIVITY_LIMITS.raw) });
  }

  protected error(message: string, fatal = false): void {
    this.out.push({ kind: "error", message: clip(message, ACTIVITY_LIMITS.message), ...(fatal ? { fatal } : {}) });
  }

  /** An event of a known type whose fields are not what the format says. */
  protected malformed(type: string, detail: string): void {
    this.state.malformed++;
    this.error(`unreadable ${this.protocol} "${clip(type, 40)}" event: ${detail}`);
  }

  protected text(text: string | undefined, extra: { reasoning?: boolean; parent?: string } = {}): void {
    if (!text?.trim()) return;
    this.out.push({ kind: "text", text: clip(text, ACTIVITY_LIMITS.text), ...extra });
  }

  protected session(id: unknown, model?: string): void {
    if (typeof id !== "string" || id === this.state.sessionId) return;
    if (!SessionId.safeParse(id).success) {
      this.malformed("session", `unusable session id ${JSON.stringify(clip(id, 40))}`);
      return;
    }
    this.state.sessionId = id;
    if (model && model !== "<synthetic>") this.state.model ??= clip(model, ACTIVITY_LIMITS.model);
    this.out.push({ kind: "session", sessionId: id, ...(model ? { model: clip(model, ACTIVITY_LIMITS.model) } : {}) });
  }

  protected rateLimit(status: "limited" | "warning", until: number | null, message?: string): void {
    if (status === "limited") {
      if (this.state.rateLimited) return;
      this.state.rateLimited = { until };
    }
    this.out.push({
      kind: "rate_limit",
      status,
      until,
      ...(message ? { message: clip(message, ACTIVITY_LIMITS.message) } : {}),
    });
  }

  /** An error text that may be a provider's usage limit: reported as a rate limit too when it is one. */
  protected limitFromText(text: string): void {
    const hit = rateLimitFromText(text, this.now());
    if (hit) this.rateLimit("limited", hit.until, hit.message);
  }

  protected openCall(id: string, call: Call): void {
    if (this.open.size >= MAX_OPEN_CALLS) this.open.delete(this.open.keys().next().value!);
    this.open.set(id, call);
  }

  protected closeCall(id: string): Call | undefined {
    const c = this.open.get(id);
    this.open.delete(id);
    return c;
  }

  private modelKey = (model: string | undefined) => model ?? "";

  /** Tokens seen during a turn, priced with the town's table (the CLI's own figure, if any, comes later). */
  protected estimate(model: string | undefined, tokens: Tokens): void {
    if (isZeroTokens(tokens)) return;
    const hit = findPrice(this.pricing, [model, this.opts.providerModel, this.opts.modelName]);
    this.usage(model, tokens, !hit);
    if (hit) this.cost(model, costMicros(hit.price, tokens), "estimated");
  }

  /**
   * The CLI's cumulative figures for one model (tokens, and micro-dollars when it reports a cost): emits what
   * they add to what was emitted for that model — a correction of the estimates, negative when they were high.
   */
  protected settle(model: string | undefined, tokens: Tokens | null, micros: number | null): void {
    const key = this.modelKey(model);
    if (tokens) {
      const d = subTokens(tokens, this.tokensBy.get(key) ?? ZERO_TOKENS);
      if (!isZeroTokens(d)) this.usage(model, d, micros === null && !findPrice(this.pricing, [model]));
    }
    if (micros !== null) this.cost(model, micros - (this.microsBy.get(key) ?? 0), "reported");
  }

  /** The CLI's cumulative tokens for the whole process, all models together: the difference goes to `model`. */
  protected settleAllTokens(model: string | undefined, tokens: Tokens, priced: boolean): void {
    const d = subTokens(tokens, this.state.tokens);
    if (!isZeroTokens(d)) this.usage(model, d, !priced);
  }

  /** The CLI's cumulative cost for the whole process: whatever the per-model figures left out goes to `model`. */
  protected settleTotal(model: string | undefined, micros: number): void {
    this.cost(model, micros - this.micros, "reported");
  }

  /** Closes a turn: what it added to the sums is the turn's cost. */
  protected endTurn(): void {
    this.state.turns.push({
      tokens: subTokens(this.state.tokens, this.turnStart.tokens),
      usd: (this.micros - this.turnStart.micros) / 1e6,
    });
    this.turnStart = { tokens: { ...this.state.tokens }, micros: this.micros };
  }

  private usage(model: string | undefined, raw: Tokens, unpriced: boolean): void {
    const c = (n: number) => Math.max(-MAX_TOKENS, Math.min(MAX_TOKENS, n));
    const tokens = {
      input: c(raw.input),
      output: c(raw.output),
      cacheRead: c(raw.cacheRead),
      cacheWrite: c(raw.cacheWrite),
    };
    const key = this.modelKey(model);
    this.tokensBy.set(key, addTokens(this.tokensBy.get(key) ?? ZERO_TOKENS, tokens));
    this.state.tokens = addTokens(this.state.tokens, tokens);
    this.out.push({
      kind: "usage",
      tokens,
      ...(model ? { model: clip(model, ACTIVITY_LIMITS.model) } : {}),
      ...(unpriced ? { unpriced } : {}),
    });
  }

  private cost(model: string | undefined, micros: number, source: "reported" | "estimated"): void {
    if (micros === 0 || !Number.isFinite(micros)) return;
    micros = Math.max(-MAX_MICROS, Math.min(MAX_MICROS, micros));
    const key = this.modelKey(model);
    this.microsBy.set(key, (this.microsBy.get(key) ?? 0) + micros);
    this.micros += micros;
    this.state.usd = this.micros / 1e6;
    this.out.push({
      kind: "cost",
      usd: micros / 1e6,
      source,
      ...(model ? { model: clip(model, ACTIVITY_LIMITS.model) } : {}),
    });
  }
}

/** Whole micro-dollars of a dollar figure a CLI reported; null when it is not a plausible amount (0 to $1M). */
export function toMicros(usd: unknown): number | null {
  return typeof usd === "number" && Number.isFinite(usd) && usd >= 0 && usd <= 1e6 ? Math.round(usd * 1e6) : null;
}
