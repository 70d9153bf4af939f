/**
 * The timeline's rows from activity entries: a tool call with its result (paired by call id), consecutive usage and
 * cost folded into one "turn" line, a header where a new run starts. Pure: the component only renders rows.
 */
import type { ActivityEntry, Tokens } from "@tinytown/core/schema";

type Entry<K extends ActivityEntry["kind"]> = Extract<ActivityEntry, { kind: K }>;

export type Row =
  | { type: "run"; id: string; run: string; at: number; index: number }
  | { type: "tool"; id: string; call: Entry<"tool_call">; result: Entry<"tool_result"> | null }
  | {
      type: "turn";
      id: string;
      tokens: Tokens;
      usd: number;
      /** Some of the cost is the town's estimate (tokens × price), not the CLI's report. */
      estimated: boolean;
      /** Some tokens have no known price. */
      unpriced: boolean;
    }
  | { type: "entry"; id: string; entry: Exclude<ActivityEntry, Entry<"tool_call" | "usage" | "cost">> };

/** Rows for `entries` (oldest first). */
export function toRows(entries: readonly ActivityEntry[]): Row[] {
  const rows: Row[] = [];
  const calls = new Map<string, Extract<Row, { type: "tool" }>>();
  let run: string | null = null;
  let runs = 0;
  let turn: Extract<Row, { type: "turn" }> | null = null;
  for (const e of entries) {
    if (e.run !== run) {
      run = e.run;
      runs += 1;
      turn = null;
      rows.push({ type: "run", id: `run:${e.id}`, run: e.run, at: e.at, index: runs });
    }
    if (e.kind === "usage" || e.kind === "cost") {
      if (!turn) {
        turn = {
          type: "turn",
          id: e.id,
          tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
          usd: 0,
          estimated: false,
          unpriced: false,
        };
        rows.push(turn);
      }
      if (e.kind === "usage") {
        turn.tokens = {
          input: turn.tokens.input + e.tokens.input,
          output: turn.tokens.output + e.tokens.output,
          cacheRead: turn.tokens.cacheRead + e.tokens.cacheRead,
          cacheWrite: turn.tokens.cacheWrite + e.tokens.cacheWrite,
        };
        turn.unpriced ||= e.unpriced === true;
      } else {
        // Sums in micro-dollars, as core keeps them: no float drift over many deltas.
        turn.usd = Math.round(turn.usd * 1e6 + e.usd * 1e6) / 1e6;
        turn.estimated ||= e.source === "estimated";
      }
      continue;
    }
    turn = null;
    if (e.kind === "tool_call") {
      const row = { type: "tool" as const, id: e.id, call: e, result: null };
      rows.push(row);
      if (e.callId) calls.set(e.callId, row);
      continue;
    }
    if (e.kind === "tool_result" && e.callId) {
      const call = calls.get(e.callId);
      if (call && !call.result) {
        call.result = e;
        continue;
      }
    }
    rows.push({ type: "entry", id: e.id, entry: e });
  }
  return rows;
}
