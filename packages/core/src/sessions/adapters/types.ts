import { ZERO_TOKENS, type ActivityEvent, type Protocol, type Tokens } from "../activity";
import type { PriceTable } from "../pricing";
import type { RateLimitRule } from "../rate-limit";

export interface AdapterOptions {
  /** Prices for tokens the CLI reports without a cost (default: `DEFAULT_PRICING`). */
  pricing?: PriceTable;
  /** The provider model the run asked for (`-m gpt-5.4`, see `providerModelFromArgs`): priced when the CLI is silent. */
  providerModel?: string;
  /** The Tinytown model name (`codex`): the last price lookup. */
  modelName?: string;
  /**
   * codex: the session's cumulative token counts when this run started (`state.cumulative` of the run before, kept
   * with the task's session), so that a resumed thread's history is not counted twice. Ignored if the CLI's first
   * figure is below it (the CLI counts per process after all).
   */
  baseline?: Tokens;
  /** lines: the model's rate-limit pattern. */
  rateLimit?: RateLimitRule;
  /** lines: pass each line on as a `raw` event (default true; the line is in the task log either way). */
  raw?: boolean;
  /** Clock for reset times given as durations or clock times (tests). */
  now?: () => number;
}

export interface TurnTotals {
  tokens: Tokens;
  usd: number;
}

export interface AdapterState {
  /** The CLI's session (claude) or thread (codex) id: keep it with the task to resume. */
  sessionId: string | null;
  /** The provider model id the CLI named. */
  model: string | null;
  /** Sums of the usage / cost events emitted so far: this run's tokens and cost. */
  tokens: Tokens;
  usd: number;
  /** What each finished turn cost, as the CLI reported it at the turn's end (claude's result, codex's turn.completed). */
  turns: TurnTotals[];
  /** codex: the CLI's last cumulative figure for the whole session (the next run's `baseline`). */
  cumulative: Tokens | null;
  /** The CLI reported the end of its work (a result / a completed or failed turn). */
  finished: boolean;
  /** The CLI reported a failure (an error result, a failed turn). */
  failed: boolean;
  /** The provider refused work: the rate limit and its reset (epoch ms, null when not said). */
  rateLimited: { until: number | null } | null;
  /** JSON events of a type the timeline does not show. */
  skipped: number;
  /** Lines that were not JSON, or JSON of an unexpected shape. */
  malformed: number;
}

/**
 * Turns one CLI's output into activity events, one line at a time. Pure and streaming: memory stays bounded
 * whatever the CLI prints, and no input makes it throw (an unreadable line becomes a `raw` or `error` event).
 */
export interface ActivityAdapter {
  readonly protocol: Protocol;
  /** One line of the process's stdout (without its newline) → the events it carries (often none). */
  push(line: string): ActivityEvent[];
  /** The process ended: closes what is still open (tool calls without a result, a turn without its end). */
  end(exit?: { code: number | null; signal?: string | null }): ActivityEvent[];
  readonly state: Readonly<AdapterState>;
}

/** The state every adapter starts from: nothing seen yet. */
export function newAdapterState(): AdapterState {
  return {
    sessionId: null,
    model: null,
    tokens: { ...ZERO_TOKENS },
    usd: 0,
    turns: [],
    cumulative: null,
    finished: false,
    failed: false,
    rateLimited: null,
    skipped: 0,
    malformed: 0,
  };
}
