/**
 * The runner's own log: one line per event on stderr. Level from TT_LOG (debug | info | warn | error | silent).
 * Messages carry text from users and agents (names, message senders, errors): every line is neutralised here,
 * once, so none can clear or recolour a terminal or forge another line.
 */
import { visibleLine } from "@tinytown/core";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
}

export function createLogger(
  level: LogLevel,
  prefix: string,
  write: (line: string) => void = (l) => process.stderr.write(l + "\n"),
): Logger {
  const at = (l: LogLevel) => RANK[l] >= RANK[level];
  const out = (l: LogLevel, msg: string) =>
    write(`${new Date().toISOString()} ${l.padEnd(5)} ${visibleLine(prefix)} ${visibleLine(msg)}`);
  return {
    debug: (m) => at("debug") && out("debug", m),
    info: (m) => at("info") && out("info", m),
    warn: (m) => at("warn") && out("warn", m),
    error: (m, err) => at("error") && out("error", err === undefined ? m : `${m}: ${describeError(err)}`),
  };
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? err.message;
  return typeof err === "string" ? err : JSON.stringify(err);
}
