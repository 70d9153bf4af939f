"use client";

import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";

import type { ActivityEntry } from "@tinytown/core/schema";

import { useTRPC } from "../../trpc/react";
import { ActivityRow } from "./activity-row";
import { ActivityFeed, MAX_ENTRIES } from "./activity-feed";
import { toRows } from "./rows";

/**
 * A task's activity, live: `task.activityStream` from the first entry (resuming after the last one seen), as rows —
 * assistant text, tool calls (collapsible, with their result), file edits, usage and cost per turn, errors. Follows
 * the newest row unless the reader scrolled up. Reopened whenever the task's state changes (a new run).
 */
export function ActivityTimeline(props: {
  taskId: string;
  state: string;
  /** Called with new entries (the usage panel refreshes on usage and cost, and learns the runs). */
  onEntries?: (entries: ActivityEntry[]) => void;
}) {
  const { onEntries } = props;
  const [log, setLog] = useState<{ entries: ActivityEntry[]; dropped: number }>({ entries: [], dropped: 0 });
  const [feed] = useState(
    () =>
      new ActivityFeed((incoming) =>
        setLog((prev) => {
          const entries = prev.entries.concat(incoming);
          const over = Math.max(0, entries.length - MAX_ENTRIES);
          return { entries: over > 0 ? entries.slice(over) : entries, dropped: prev.dropped + over };
        }),
      ),
  );
  useEffect(() => (onEntries ? feed.listen(onEntries) : undefined), [feed, onEntries]);
  const rows = useMemo(() => toRows(log.entries), [log.entries]);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const boxRef = useRef<HTMLDivElement>(null);
  const follow = useRef(true);
  useLayoutEffect(() => {
    const box = boxRef.current;
    if (box && follow.current) box.scrollTop = box.scrollHeight;
  }, [rows]);

  const running = props.state === "running";
  const tools = rows.filter((r) => r.type === "tool").map((r) => r.id);
  const allOpen = tools.length > 0 && tools.every((id) => open.has(id));
  const toggle = (id: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <div className="panel overflow-hidden" data-testid="activity">
      <div className="flex h-9 items-center gap-2 border-b border-zinc-200 px-3 text-xs text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
        {running ? (
          <span
            className="flex items-center gap-1.5 font-medium text-amber-700 dark:text-amber-400"
            data-testid="activity-live"
          >
            <span className="size-1.5 animate-pulse rounded-full bg-amber-500" aria-hidden /> live
          </span>
        ) : null}
        <span className="tabular-nums" data-testid="activity-count">
          {log.entries.length + log.dropped} events
        </span>
        {log.dropped > 0 ? <span>(first {log.dropped} not shown)</span> : null}
        {tools.length > 0 ? (
          <button
            type="button"
            className="ml-auto rounded px-1.5 py-0.5 font-medium text-indigo-700 hover:bg-zinc-100 dark:text-indigo-300 dark:hover:bg-zinc-800"
            onClick={() => setOpen(allOpen ? new Set() : new Set(tools))}
            data-testid="activity-expand-all"
          >
            {allOpen ? "Collapse all" : "Expand all"}
          </button>
        ) : null}
      </div>
      <div
        ref={boxRef}
        onScroll={(e) => {
          const el = e.currentTarget;
          follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
        className="scroll-thin h-[28rem] overflow-auto px-2 py-2 max-sm:h-[60vh]"
        role="log"
        aria-label="Activity timeline"
        aria-live={running ? "polite" : "off"}
        aria-relevant="additions"
        // Focusable, so the timeline scrolls with the keyboard too.
        tabIndex={0}
      >
        <ActivityStream key={`${props.taskId}:${props.state}`} taskId={props.taskId} feed={feed} />
        {rows.length === 0 ? (
          <p className="p-2 text-sm text-zinc-600 dark:text-zinc-400" data-testid="activity-empty">
            {props.state === "pending" || props.state === "assigned"
              ? "No activity yet: the task has not started."
              : running
                ? "Waiting for the agent…"
                : "No activity recorded. Models that print plain lines have their output under Raw output."}
          </p>
        ) : (
          <ol className="grid gap-0.5">
            {rows.map((row) => (
              <ActivityRow key={row.id} row={row} open={open.has(row.id)} onToggle={toggle} />
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}

/** One subscription; remounted (by key) when the task's state changes, resuming after the last entry received. */
function ActivityStream(props: { taskId: string; feed: ActivityFeed }) {
  const trpc = useTRPC();
  const { feed } = props;
  const [from] = useState(feed.lastId);
  useEffect(() => () => feed.flush(), [feed]);
  useSubscription(
    trpc.task.activityStream.subscriptionOptions(
      { taskId: props.taskId, ...(from ? { lastEventId: from } : {}) },
      { onData: (t) => feed.push(t.data) },
    ),
  );
  return null;
}
