import { formatUsd, type Tokens } from "@tinytown/core/schema";

/** `$0.42`, `$0.0042` (small sums keep the digits that make them differ from zero): core's one money format. */
export const usd = formatUsd;

/** `950`, `12.3k`, `4.1M`: token counts at a glance (the exact number is in the title). */
export function tokens(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1_000) return String(n);
  if (abs < 1_000_000) return `${(n / 1_000).toFixed(abs < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export const TOKEN_KINDS: { key: keyof Tokens; label: string }[] = [
  { key: "input", label: "input" },
  { key: "output", label: "output" },
  { key: "cacheRead", label: "cache read" },
  { key: "cacheWrite", label: "cache write" },
];

/** "1.2k in · 340 out · 8.1k cached": the kinds that are not zero. */
export function tokenLine(t: Tokens): string {
  const parts = [
    t.input ? `${tokens(t.input)} in` : "",
    t.output ? `${tokens(t.output)} out` : "",
    t.cacheRead ? `${tokens(t.cacheRead)} cache read` : "",
    t.cacheWrite ? `${tokens(t.cacheWrite)} cache write` : "",
  ].filter(Boolean);
  return parts.join(" · ") || "no tokens";
}

/** The local time of day: "14:05". */
export const timeOfDay = (at: number) =>
  new Date(at).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });

/** "1 run", "3 runs". */
export const runs = (n: number) => `${n} ${n === 1 ? "run" : "runs"}`;
