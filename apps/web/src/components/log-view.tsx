"use client";

import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useLayoutEffect, useRef, useState } from "react";

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
 * The lines a log has received, outside React's render: remembers the last line id (to resume after it and to drop
 * repeats) and batches a flood of lines into one update per frame.
 */
class LineFeed {
  lastId: string | null = null;
  private batch: Line[] = [];
  private frame: number | null = null;

  constructor(private readonly deliver: (lines: Line[]) => void) {}

  push(line: Line): void {
    if (this.lastId && compareIds(line.id, this.lastId) <= 0) return; // already shown
    this.lastId = line.id;
    this.batch.push(line);
    this.frame ??= requestAnimationFrame(() => this.flush());
  }

  /** Delivers what waits for the next frame now (a stream remounting must not lose it). */
  flush(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    const lines = this.batch;
    this.batch = [];
    if (lines.length > 0) this.deliver(lines);
  }
}

/**
 * A task's output, live: task.logStream from the first line (resuming from the last line seen), bounded to
 * {@link MAX_LINES}, following the tail unless the reader has scrolled up. The stream ends when a run is over;
 * it is opened again whenever the task's state changes (e.g. assigned → running), carrying on after the last line.
 */
export function LogView(props: { taskId: string; state: string; height?: string }) {
  const [log, setLog] = useState<{ lines: Line[]; dropped: number }>({ lines: [], dropped: 0 });
  const [feed] = useState(
    () =>
      new LineFeed((incoming) =>
        setLog((prev) => {
          const lines = prev.lines.concat(incoming);
          const over = Math.max(0, lines.length - MAX_LINES);
          return { lines: over > 0 ? lines.slice(over) : lines, dropped: prev.dropped + over };
        }),
      ),
  );
  const { lines, dropped } = log;
  const boxRef = useRef<HTMLDivElement>(null);
  const follow = useRef(true);

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
      <div className="flex h-8 items-center gap-2 border-b border-zinc-800 px-3 text-[11px] text-zinc-300">
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
        // Focusable, so the output scrolls with the keyboard too.
        tabIndex={0}
        aria-live={running ? "polite" : "off"}
        aria-label="Task output"
      >
        <LogStream key={`${props.taskId}:${props.state}`} taskId={props.taskId} feed={feed} />
        {lines.length === 0 ? (
          <p className="text-zinc-400">
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
                // Long tokens (paths, hashes) break anywhere; words break only between them.
                className={`flex gap-3 whitespace-pre-wrap [overflow-wrap:anywhere] ${l.stream === "err" ? "text-red-300" : l.stream === "sys" ? "text-zinc-400" : ""}`}
                data-testid="log-line"
              >
                <span className="shrink-0 text-zinc-400 select-none max-sm:hidden">{clock(l.at)}</span>
                <span className="min-w-0">{l.line}</span>
              </li>
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}

/** One subscription; remounted (by key) when the task's state changes, resuming after the last line received. */
function LogStream(props: { taskId: string; feed: LineFeed }) {
  const trpc = useTRPC();
  const { feed } = props;
  const [from] = useState(feed.lastId);
  useEffect(() => () => feed.flush(), [feed]);
  useSubscription(
    trpc.task.logStream.subscriptionOptions(
      { taskId: props.taskId, ...(from ? { lastEventId: from } : {}) },
      { onData: (t) => feed.push(t.data as Line) },
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
