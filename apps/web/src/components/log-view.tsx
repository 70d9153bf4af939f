"use client";

import { useSubscription } from "@trpc/tanstack-react-query";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";

import { clock } from "../lib/format";
import { useTRPC } from "../trpc/react";

/** Lines kept in the browser; older ones are dropped so a chatty agent never grows the page without bound. */
const MAX_LINES = 2000;

interface Line {
  id: string;
  stream: string;
  line: string;
  at: number;
}

/**
 * A task's output, live: task.logStream from the first line (resuming from the last line seen), bounded to
 * {@link MAX_LINES}, following the tail unless the reader has scrolled up. The stream ends when a run is over;
 * it is opened again whenever the task's state changes (e.g. assigned → running), carrying on after the last line.
 */
export function LogView(props: { taskId: string; state: string; height?: string }) {
  const [lines, setLines] = useState<Line[]>([]);
  const [dropped, setDropped] = useState(0);
  const lastId = useRef<string | null>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const follow = useRef(true);

  const onLines = useCallback((incoming: Line[]) => {
    setLines((prev) => {
      const next = prev.concat(incoming);
      if (next.length <= MAX_LINES) return next;
      setDropped((d) => d + next.length - MAX_LINES);
      return next.slice(next.length - MAX_LINES);
    });
  }, []);

  useLayoutEffect(() => {
    const box = boxRef.current;
    if (box && follow.current) box.scrollTop = box.scrollHeight;
  }, [lines]);

  const running = props.state === "running";
  return (
    <div
      className="overflow-hidden rounded-lg border border-zinc-200 bg-zinc-950 dark:border-zinc-800"
      data-testid="log"
    >
      <div className="flex h-8 items-center gap-2 border-b border-zinc-800 px-3 text-[11px] text-zinc-400">
        {running ? (
          <span className="flex items-center gap-1.5 text-amber-400" data-testid="log-live">
            <span className="size-1.5 animate-pulse rounded-full bg-amber-400" aria-hidden /> live
          </span>
        ) : (
          <span>output</span>
        )}
        <span className="tabular-nums">{lines.length + dropped} lines</span>
        {dropped > 0 ? <span>(first {dropped} not shown)</span> : null}
      </div>
      <div
        ref={boxRef}
        onScroll={(e) => {
          const el = e.currentTarget;
          follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
        className={`scroll-thin overflow-auto p-3 font-mono text-xs leading-5 text-zinc-200 ${props.height ?? "h-80"}`}
        role="log"
        aria-live={running ? "polite" : "off"}
        aria-label="Task output"
      >
        <LogStream key={`${props.taskId}:${props.state}`} taskId={props.taskId} lastId={lastId} onLines={onLines} />
        {lines.length === 0 ? (
          <p className="text-zinc-500">
            {props.state === "pending" || props.state === "assigned"
              ? "No output yet: the task has not started."
              : running
                ? "Waiting for output…"
                : "No output."}
          </p>
        ) : (
          <ol>
            {lines.map((l) => (
              <li
                key={l.id}
                className={`flex gap-3 whitespace-pre-wrap break-all ${l.stream === "err" ? "text-red-300" : l.stream === "sys" ? "text-zinc-500" : ""}`}
                data-testid="log-line"
              >
                <span className="shrink-0 text-zinc-600 select-none">{clock(l.at)}</span>
                <span>{l.line}</span>
              </li>
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}

/** One subscription; remounted (by key) when the task's state changes, resuming after the last line received. */
function LogStream(props: { taskId: string; lastId: React.RefObject<string | null>; onLines: (l: Line[]) => void }) {
  const trpc = useTRPC();
  const [from] = useState(props.lastId.current);
  const batch = useRef<Line[]>([]);
  const frame = useRef<number | null>(null);

  const { onLines } = props;
  useEffect(
    () => () => {
      // Remounting (the task changed state) must not lose lines still waiting for the next frame.
      if (frame.current !== null) cancelAnimationFrame(frame.current);
      if (batch.current.length > 0) onLines(batch.current);
      batch.current = [];
    },
    [onLines],
  );

  useSubscription(
    trpc.task.logStream.subscriptionOptions(
      { taskId: props.taskId, ...(from ? { lastEventId: from } : {}) },
      {
        onData: (t) => {
          const line = t.data as Line;
          if (props.lastId.current && compareIds(line.id, props.lastId.current) <= 0) return; // already shown
          props.lastId.current = line.id;
          // A flood of lines renders once per frame.
          batch.current.push(line);
          frame.current ??= requestAnimationFrame(() => {
            frame.current = null;
            const b = batch.current;
            batch.current = [];
            props.onLines(b);
          });
        },
      },
    ),
  );
  return null;
}

/** Orders Redis stream ids ("ms-seq"). */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
}
