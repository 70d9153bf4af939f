/**
 * Adapters from a CLI's output to activity events (see `../README.md` for the runner's flow). Pure: usable in the
 * runner, in tests, or to re-read a saved stream.
 */
import type { Protocol } from "../activity";
import { ClaudeStreamAdapter } from "./claude";
import { CodexJsonAdapter } from "./codex";
import { LinesAdapter } from "./lines";
import type { ActivityAdapter, AdapterOptions } from "./types";

export { ClaudeStreamAdapter } from "./claude";
export { CodexJsonAdapter } from "./codex";
export { LinesAdapter } from "./lines";
export type { ActivityAdapter, AdapterOptions, AdapterState, TurnTotals } from "./types";

/** A fresh adapter for one run of a model speaking `protocol`. */
export function createAdapter(protocol: Protocol, opts: AdapterOptions = {}): ActivityAdapter {
  switch (protocol) {
    case "claude-stream-json":
      return new ClaudeStreamAdapter(opts);
    case "codex-json":
      return new CodexJsonAdapter(opts);
    case "lines":
      return new LinesAdapter(opts);
  }
}
