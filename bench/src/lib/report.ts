/** The results table (terminal and bench/RESULTS.md). */

export interface Row {
  id: string;
  what: string;
  /** Our figure, formatted (e.g. "0.231 ms" or "12,400 msg/s"). */
  ours: string;
  baseline: string;
  /** ours ÷ baseline as the target reads it (latency: ours/baseline; throughput: ours/baseline). */
  ratio: string;
  /** Latency distribution of ours (and of the baseline), e.g. "0.21/0.40 (raw 0.12/0.25)". */
  p50p99: string;
  /** Spread of the per-run medians: (max − min) / median. */
  spread: string;
  target: string;
  met: "yes" | "no" | "n/a";
}

export interface Section {
  id: string;
  title: string;
  lines: string[];
}

export const fmtMs = (ms: number) =>
  Number.isNaN(ms) ? "—" : ms < 1 ? `${ms.toFixed(3)} ms` : ms < 100 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
export const fmtRate = (perSec: number, unit: string) => `${Math.round(perSec).toLocaleString("en-US")} ${unit}/s`;
export const fmtX = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "—");
export const fmtPct = (p: number) => `±${p.toFixed(0)}%`;
export const fmtMiB = (m: number) => `${m.toFixed(0)} MiB`;

export function markdownTable(rows: Row[]): string {
  const head = "| # | What | Ours | Baseline | Ratio | p50 / p99 | Spread | Target | Met |";
  const sep = "|---|---|---|---|---|---|---|---|---|";
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [
    head,
    sep,
    ...rows.map(
      (r) =>
        `| ${[r.id, r.what, r.ours, r.baseline, r.ratio, r.p50p99, r.spread, r.target, r.met].map(esc).join(" | ")} |`,
    ),
  ].join("\n");
}

export function terminalTable(rows: Row[]): string {
  const cols: (keyof Row)[] = ["id", "what", "ours", "baseline", "ratio", "p50p99", "spread", "target", "met"];
  const heads: Record<keyof Row, string> = {
    id: "#",
    what: "What",
    ours: "Ours",
    baseline: "Baseline",
    ratio: "Ratio",
    p50p99: "p50/p99",
    spread: "Spread",
    target: "Target",
    met: "Met",
  };
  const w = cols.map((c) => Math.min(48, Math.max(heads[c].length, ...rows.map((r) => r[c].length))));
  const cell = (s: string, i: number) => (s.length > w[i]! ? s.slice(0, w[i]! - 1) + "…" : s.padEnd(w[i]!));
  const line = (vals: string[]) => vals.map(cell).join("  ");
  return [
    line(cols.map((c) => heads[c])),
    w.map((n) => "-".repeat(n)).join("  "),
    ...rows.map((r) => line(cols.map((c) => r[c]))),
  ].join("\n");
}
