/**
 * Activity events as one readable line each: what the runner writes into the task log for structured CLIs and what
 * `tt logs` prints. Client-safe (in `@tinytown/core/schema`).
 */
import type { ActivityEvent } from "./activity";
import { formatUsd } from "./budget-rules";

const oneLine = (s: string, max = 300) => {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/**
 * One event as a line (`▶ Bash npm test`, `✗ exit 1: FAIL …`); null for the ones a reader does not follow line by
 * line (token usage and cost deltas: the sums show them).
 */
export function formatActivity(e: ActivityEvent): string | null {
  switch (e.kind) {
    case "text":
      return e.reasoning ? `(thinking) ${oneLine(e.text)}` : oneLine(e.text, 2_000);
    case "tool_call":
      return `▶ ${e.name}${e.summary ? ` ${oneLine(e.summary)}` : ""}`;
    case "tool_result": {
      const head = oneLine(e.output, 200);
      const code = e.exitCode !== undefined ? `exit ${e.exitCode}` : "";
      const tag = e.ok ? "✓" : "✗";
      return `  ${tag}${code ? ` ${code}` : ""}${head ? `${code ? ":" : ""} ${head}` : ""}`;
    }
    case "file_edit": {
      const counts = e.added !== undefined || e.removed !== undefined ? ` +${e.added ?? 0} -${e.removed ?? 0}` : "";
      return `✎ ${e.change ?? "edit"} ${e.path}${counts}`;
    }
    case "session":
      return `session ${e.sessionId}${e.model ? ` (${e.model})` : ""}`;
    case "rate_limit":
      return e.status === "limited"
        ? `rate limit reached${e.until ? `: resets at ${hhmm(e.until)} UTC` : ""}${e.message ? ` (${oneLine(e.message, 200)})` : ""}`
        : `rate limit warning${e.message ? `: ${oneLine(e.message, 200)}` : ""}`;
    case "error":
      return `${e.fatal ? "ERROR" : "error"}: ${oneLine(e.message, 1_000)}`;
    case "raw":
      return e.line;
    case "usage":
    case "cost":
      return null;
  }
}

/** A run's totals as one line: `tokens 12,345 in / 678 out (cache 9,000 read) · $0.0123`. */
export function formatUsageLine(
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number },
  usd: number,
): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const cache =
    tokens.cacheRead || tokens.cacheWrite
      ? ` (cache ${n(tokens.cacheRead)} read, ${n(tokens.cacheWrite)} written)`
      : "";
  return `tokens ${n(tokens.input)} in / ${n(tokens.output)} out${cache} · ${formatUsd(usd)}`;
}
