/** Percentiles, medians and spread over repeated runs. */

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function sortNum(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

export function median(xs: readonly number[]): number {
  return percentile(sortNum(xs), 50);
}

export interface Dist {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

export function dist(samples: readonly number[]): Dist {
  const s = sortNum(samples);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN, n: s.length };
}

/** Spread of per-run values: (max − min) / median, as a percentage. */
export function spread(perRun: readonly number[]): number {
  if (perRun.length < 2) return 0;
  const s = sortNum(perRun);
  const m = median(s);
  return m === 0 ? 0 : ((s[s.length - 1]! - s[0]!) / m) * 100;
}

/** Median over runs of each run's p50 and p99 (and the spread of the p50s). */
export function summarizeRuns(runs: readonly number[][]): { p50: number; p99: number; spreadPct: number; n: number } {
  const ds = runs.map(dist);
  return {
    p50: median(ds.map((d) => d.p50)),
    p99: median(ds.map((d) => d.p99)),
    spreadPct: spread(ds.map((d) => d.p50)),
    n: ds.reduce((a, d) => a + d.n, 0),
  };
}

/** High-resolution milliseconds on the wall clock (comparable across processes on one host). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
