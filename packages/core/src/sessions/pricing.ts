/**
 * Prices per model, for CLIs that report tokens but no cost (codex) and for live estimates during a claude turn
 * (its own cost arrives with the turn's result). Client-safe.
 *
 * The defaults were taken from the providers' published prices (USD per million tokens):
 * - Anthropic: https://docs.claude.com/en/docs/about-claude/pricing (Opus 4 / 4.1, Sonnet 3.7 / 4, Haiku 3.5;
 *   5-minute cache writes) and the Opus 4.5 / 4.6, Sonnet 4.5 / 4.6, Haiku 4.5 list prices as published on
 *   2026-03-21 (cache writes 1.25×, cache reads 0.1× the input price, as on the pricing page).
 * - OpenAI: the Codex rate card (help.openai.com, "Codex rate card", 25 credits = $1) as checked on 2026-05-13, and
 *   https://openai.com/api/pricing for gpt-5 / gpt-5-codex / gpt-5-mini. OpenAI does not charge cache writes.
 * A town overrides or extends them with `pricing` in tinytown.json; check them against the providers' pages.
 */
import { z } from "zod";
import type { Tokens } from "./activity";

export const DEFAULT_PRICES_AS_OF = "2026-05-13";

/** USD per million tokens. Without a cache price, cached tokens cost the input price (never under-estimated). */
export const ModelPrice = z
  .object({
    inputPerMTok: z.number().nonnegative().max(10_000),
    outputPerMTok: z.number().nonnegative().max(10_000),
    cacheReadPerMTok: z.number().nonnegative().max(10_000).optional(),
    cacheWritePerMTok: z.number().nonnegative().max(10_000).optional(),
  })
  .strict();
export type ModelPrice = z.infer<typeof ModelPrice>;

/**
 * Keys are provider model ids or their prefixes (`claude-sonnet-4-5` prices `claude-sonnet-4-5-20250929`), or a
 * Tinytown model name (`codex`) for CLIs that never say which model ran.
 */
const MODEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;
export const PriceTable = z.record(z.string(), ModelPrice).superRefine((table, ctx) => {
  for (const key of Object.keys(table))
    if (!MODEL_KEY.test(key))
      ctx.addIssue({
        code: "custom",
        path: [key],
        message:
          "not a model id (1-128 letters, digits, '.', '_', ':', '@', '/' or '-', starting with a letter or digit)",
      });
});
export type PriceTable = z.infer<typeof PriceTable>;

const anthropic = (input: number, output: number): ModelPrice => ({
  inputPerMTok: input,
  outputPerMTok: output,
  cacheReadPerMTok: input / 10,
  cacheWritePerMTok: input * 1.25,
});
const openai = (input: number, output: number, cached: number): ModelPrice => ({
  inputPerMTok: input,
  outputPerMTok: output,
  cacheReadPerMTok: cached,
  cacheWritePerMTok: 0,
});

export const DEFAULT_PRICING: PriceTable = {
  "claude-opus-4-6": anthropic(5, 25),
  "claude-opus-4-5": anthropic(5, 25),
  "claude-opus-4-1": anthropic(15, 75),
  // Also prices Opus versions newer than this table at the highest Opus price: an estimate errs high, not low.
  "claude-opus-4": anthropic(15, 75),
  "claude-sonnet-4-6": anthropic(3, 15),
  "claude-sonnet-4-5": anthropic(3, 15),
  "claude-sonnet-4": anthropic(3, 15),
  "claude-3-7-sonnet": anthropic(3, 15),
  "claude-haiku-4-5": anthropic(1, 5),
  "claude-3-5-haiku": anthropic(0.8, 4),
  // The `claude` preset when its model is not known yet (claude names it in its first event).
  claude: anthropic(15, 75),
  "gpt-5.5": openai(5, 30, 0.5),
  "gpt-5.4": openai(2.5, 15, 0.25),
  "gpt-5.4-mini": openai(0.75, 4.52, 0.075),
  "gpt-5.3-codex": openai(1.75, 14, 0.175),
  "gpt-5.2-codex": openai(1.75, 14, 0.175),
  "gpt-5.2": openai(1.75, 14, 0.175),
  "gpt-5.1-codex-max": openai(1.25, 10, 0.125),
  "gpt-5.1-codex-mini": openai(0.25, 2, 0.025),
  "gpt-5.1-codex": openai(1.25, 10, 0.125),
  "gpt-5.1": openai(1.25, 10, 0.125),
  "gpt-5-codex": openai(1.25, 10, 0.125),
  "gpt-5-mini": openai(0.25, 2, 0.025),
  "gpt-5": openai(1.25, 10, 0.125),
  // `codex exec --json` never says which model ran: without `-m` in the model's args, assume the dearest
  // current Codex model, so that a budget stops early rather than late.
  codex: openai(5, 30, 0.5),
};

/** The defaults with the town's own entries on top. */
export function priceTable(own: PriceTable = {}): PriceTable {
  return { ...DEFAULT_PRICING, ...own };
}

/** `us.anthropic.claude-sonnet-4-5-v1:0` → `claude-sonnet-4-5-v1:0`; `openai/gpt-5` → `gpt-5`. */
function normalise(id: string): string {
  const s = id.trim().toLowerCase();
  const tail = s.slice(s.lastIndexOf("/") + 1);
  const at = tail.indexOf("anthropic.");
  return at >= 0 ? tail.slice(at + "anthropic.".length) : tail;
}

const BOUNDARY = new Set(["-", "[", "@", ":", " ", "_"]);

/**
 * The price for the first of `candidates` (most specific first: the provider's model id, the `-m` argument, the
 * Tinytown model name) that the table knows, by exact key or the longest key that is a prefix of it ending at a
 * separator (`gpt-5` does not price `gpt-5.4`). Null when none is known.
 */
export function findPrice(
  table: PriceTable,
  candidates: readonly (string | null | undefined)[],
): { key: string; price: ModelPrice } | null {
  const keys = Object.keys(table)
    .map((k) => [k, normalise(k)] as const)
    .sort((a, b) => b[1].length - a[1].length);
  for (const c of candidates) {
    if (!c) continue;
    const id = normalise(c);
    for (const [key, k] of keys) {
      if (id === k || (id.startsWith(k) && BOUNDARY.has(id[k.length]!))) return { key, price: table[key]! };
    }
  }
  return null;
}

/** The cost of `tokens` in millionths of a dollar (an integer: sums stay exact). */
export function costMicros(price: ModelPrice, tokens: Tokens): number {
  return Math.round(
    tokens.input * price.inputPerMTok +
      tokens.output * price.outputPerMTok +
      tokens.cacheRead * (price.cacheReadPerMTok ?? price.inputPerMTok) +
      tokens.cacheWrite * (price.cacheWritePerMTok ?? price.inputPerMTok),
  );
}
