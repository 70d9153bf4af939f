"use client";

import { clock } from "../../lib/format";
import { timeOfDay, tokenLine, usd } from "../usage/format";
import type { Row } from "./rows";

const MUTED = "text-zinc-600 dark:text-zinc-400";

/** One row of the activity timeline. Agent output is rendered as text only, never as markup. */
export function ActivityRow(props: { row: Row; open: boolean; onToggle: (id: string) => void }) {
  const { row } = props;
  switch (row.type) {
    case "run":
      return (
        <li className="mt-2 flex items-center gap-2 px-1 py-1 first:mt-0" data-testid="activity-run">
          <span className="text-[11px] font-semibold tracking-wide text-zinc-700 uppercase dark:text-zinc-300">
            Run {row.index}
          </span>
          <span className={`text-[11px] ${MUTED}`}>started {clock(row.at)}</span>
          <span aria-hidden className="h-px flex-1 bg-zinc-200 dark:bg-zinc-800" />
        </li>
      );
    case "turn":
      return (
        <li
          className={`flex flex-wrap justify-end gap-x-2 px-2 text-right text-[11px] tabular-nums ${MUTED}`}
          data-testid="activity-turn"
        >
          <span>{tokenLine(row.tokens)}</span>
          {row.usd !== 0 ? (
            <span
              className="font-medium whitespace-nowrap text-zinc-700 dark:text-zinc-300"
              data-testid="activity-turn-cost"
            >
              {row.usd < 0 ? `${usd(row.usd)} settled` : usd(row.usd)}
              {row.estimated && row.usd > 0 ? <span className={`font-normal ${MUTED}`}> est.</span> : null}
            </span>
          ) : row.unpriced ? (
            <span>cost unknown</span>
          ) : null}
        </li>
      );
    case "tool":
      return <ToolRow row={row} open={props.open} onToggle={props.onToggle} />;
    case "entry":
      return <EntryRow entry={row.entry} />;
  }
}

function ToolRow(props: { row: Extract<Row, { type: "tool" }>; open: boolean; onToggle: (id: string) => void }) {
  const { call, result } = props.row;
  const panel = `tool-${props.row.id}`;
  const status = result === null ? "pending" : result.ok ? "ok" : "error";
  return (
    <li data-testid="activity-tool" data-status={status}>
      <button
        type="button"
        aria-expanded={props.open}
        aria-controls={panel}
        onClick={() => props.onToggle(props.row.id)}
        title={clock(call.at)}
        className={`flex w-full min-w-0 items-center gap-2 rounded-md px-2 py-1 text-left text-xs hover:bg-zinc-100 dark:hover:bg-zinc-800/70 ${
          status === "error" ? "bg-red-50 dark:bg-red-950/30" : ""
        }`}
      >
        <svg
          viewBox="0 0 12 12"
          aria-hidden
          className={`size-3 shrink-0 text-zinc-500 transition-transform ${props.open ? "rotate-90" : ""}`}
        >
          <path d="M4 2.5 7.5 6 4 9.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
        </svg>
        <span className="shrink-0 font-mono font-semibold text-zinc-800 dark:text-zinc-200">{call.name}</span>
        <span className={`min-w-0 flex-1 truncate font-mono ${MUTED}`} data-testid="activity-tool-summary">
          {call.summary}
        </span>
        <ToolStatus status={status} exitCode={result?.exitCode} />
      </button>
      {props.open ? (
        <div
          id={panel}
          className="mb-1 ml-7 rounded-md border border-zinc-200 bg-zinc-50 p-2 dark:border-zinc-800 dark:bg-zinc-950"
        >
          <p className={`mb-1 text-[11px] ${MUTED}`}>
            {call.name} · <span className="font-mono break-all">{call.summary}</span>
          </p>
          {result ? (
            <pre
              className={`max-h-64 overflow-auto font-mono text-[11px] leading-4 whitespace-pre-wrap [overflow-wrap:anywhere] ${
                result.ok ? "text-zinc-800 dark:text-zinc-200" : "text-red-800 dark:text-red-300"
              }`}
              data-testid="activity-tool-output"
            >
              {result.output || "(no output)"}
            </pre>
          ) : (
            <p className={`text-[11px] ${MUTED}`}>No result yet.</p>
          )}
        </div>
      ) : (
        <div id={panel} hidden />
      )}
    </li>
  );
}

function ToolStatus(props: { status: "pending" | "ok" | "error"; exitCode?: number }) {
  if (props.status === "pending")
    return (
      <span className="badge shrink-0 bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300">running</span>
    );
  if (props.status === "ok")
    return (
      <span className="badge shrink-0 bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300">
        ok
      </span>
    );
  return (
    <span className="badge shrink-0 bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300">
      error{props.exitCode !== undefined ? ` ${props.exitCode}` : ""}
    </span>
  );
}

const CHANGE_WORD = { add: "Created", update: "Edited", delete: "Deleted" } as const;

function EntryRow(props: { entry: Extract<Row, { type: "entry" }>["entry"] }) {
  const e = props.entry;
  switch (e.kind) {
    case "text":
      return (
        <li
          className={`rounded-md px-2 py-1.5 text-sm leading-6 break-words whitespace-pre-wrap ${
            e.reasoning ? `italic ${MUTED}` : "text-zinc-900 dark:text-zinc-100"
          }`}
          data-testid="activity-text"
          title={clock(e.at)}
        >
          {e.reasoning ? <span className="mr-1 text-[11px] font-medium not-italic">Thinking:</span> : null}
          {e.text}
        </li>
      );
    case "tool_result":
      return (
        <li
          className={`px-2 py-1 font-mono text-[11px] whitespace-pre-wrap [overflow-wrap:anywhere] ${e.ok ? MUTED : "text-red-800 dark:text-red-300"}`}
          data-testid="activity-result"
        >
          {e.ok ? "result: " : "error: "}
          {e.output.split("\n")[0]}
        </li>
      );
    case "file_edit":
      return (
        <li className="flex min-w-0 items-center gap-2 px-2 py-1 text-xs" data-testid="activity-file">
          <svg viewBox="0 0 12 12" aria-hidden className="size-3 shrink-0 text-indigo-600 dark:text-indigo-400">
            <path d="M2 10V8.3l5.6-5.6 1.7 1.7L3.7 10z" fill="currentColor" />
          </svg>
          <span className="shrink-0 font-medium">{CHANGE_WORD[e.change ?? "update"]}</span>
          <span className="min-w-0 truncate font-mono" title={e.path}>
            {e.path}
          </span>
          {e.added !== undefined || e.removed !== undefined ? (
            <span className="shrink-0 font-mono tabular-nums">
              <span className="text-emerald-700 dark:text-emerald-400">+{e.added ?? 0}</span>{" "}
              <span className="text-red-700 dark:text-red-400">−{e.removed ?? 0}</span>
            </span>
          ) : null}
        </li>
      );
    case "session":
      return (
        <li className={`px-2 py-1 text-[11px] ${MUTED}`} data-testid="activity-session">
          Session <span className="font-mono">{e.sessionId.slice(0, 8)}</span>
          {e.model ? <> · {e.model}</> : null}
        </li>
      );
    case "rate_limit":
      return (
        <li
          className="my-1 rounded-md border border-amber-300 bg-amber-50 px-2 py-1.5 text-xs text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200"
          data-testid="activity-rate-limit"
        >
          <span className="font-semibold">{e.status === "limited" ? "Rate-limited" : "Close to a rate limit"}</span>
          {e.until ? ` until ${timeOfDay(e.until)}` : ""}
          {e.message ? <span className="block">{e.message}</span> : null}
        </li>
      );
    case "error":
      return (
        <li
          className="my-1 rounded-md border border-red-300 bg-red-50 px-2 py-1.5 text-xs text-red-900 dark:border-red-900 dark:bg-red-950/40 dark:text-red-100"
          data-testid="activity-error"
        >
          <span className="font-semibold">{e.fatal ? "Run failed: " : "Error: "}</span>
          <span className="break-words whitespace-pre-wrap">{e.message}</span>
        </li>
      );
    case "raw":
      return (
        <li
          className={`px-2 font-mono text-[11px] whitespace-pre-wrap [overflow-wrap:anywhere] ${MUTED}`}
          data-testid="activity-raw"
        >
          {e.line}
        </li>
      );
  }
}
