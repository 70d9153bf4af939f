import type { InvalidateQueryFilters, QueryClient } from "@tanstack/react-query";

import { BOARD_COLUMNS, columnsShowing, TaskState, type BoardColumn, type TownEvent } from "@tinytown/core/schema";

import type { useTRPC } from "../trpc/react";

export type TownEventListener = (event: TownEvent) => void;
type TRPC = ReturnType<typeof useTRPC>;

/** Events arriving within this window are folded into one round of invalidations (a burst of 50 moves = 1 refetch). */
const COALESCE_MS = 25;

interface Dirty {
  all: boolean;
  columns: Set<BoardColumn>;
  tasks: Set<string>;
  agents: boolean;
  messages: boolean;
}
const clean = (): Dirty => ({ all: false, columns: new Set(), tasks: new Set(), agents: false, messages: false });

/**
 * What a tab does with the town's events, outside React's render: each event marks the queries it affects as stale
 * (the board column(s) a task left and entered, the task's page, agents, inboxes, the overview) and they refetch in one
 * coalesced round; each event is also passed to the components listening. One per tab, owned by LiveProvider.
 *
 * A query whose FIRST fetch is still in flight cannot be refetched: TanStack Query hands an invalidation of a query
 * without data the promise of the fetch already running (`Query.fetch` only cancels a refetch of data it has), and
 * that fetch was sent before the change. On a page that was still loading when an event came, the change was lost —
 * the "stalled stream" of the live spec's second browser, whose stream in fact delivered at once. Such queries are
 * remembered and invalidated again as soon as their first fetch settles.
 */
export class LiveSync {
  private dirty = clean();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<TownEventListener>();
  /** Hashes of queries invalidated while their first fetch was in flight. */
  private readonly again = new Set<string>();
  private readonly unwatch: () => void;

  constructor(
    private readonly qc: QueryClient,
    private readonly trpc: TRPC,
  ) {
    this.unwatch = qc.getQueryCache().subscribe((e) => {
      if (e.type !== "updated" || e.query.state.fetchStatus !== "idle" || !this.again.delete(e.query.queryHash)) return;
      void qc.invalidateQueries({ queryKey: e.query.queryKey as readonly unknown[], exact: true });
    });
  }

  /** The stream (re)connected: refetch everything, so nothing missed while offline stays on screen. */
  connected(): void {
    this.mark((d) => (d.all = true));
  }

  /** One event from the stream. */
  receive(ev: TownEvent): void {
    this.mark((d) => {
      if (ev.type.startsWith("task.")) {
        if (ev.taskId) d.tasks.add(ev.taskId);
        const states = [ev.from, ev.to].filter((s): s is TaskState => TaskState.safeParse(s).success);
        if (states.length === 0 || ev.type === "task.created") {
          // A created task may start assigned; without from/to we cannot tell which column moved.
          if (states.length === 0) for (const c of BOARD_COLUMNS) d.columns.add(c.id);
          else d.columns.add("backlog");
        }
        for (const s of states) for (const c of columnsShowing(s)) d.columns.add(c);
      } else if (ev.type.startsWith("agent.")) {
        d.agents = true;
      } else if (ev.type === "message.sent") {
        d.messages = true;
      } else {
        d.all = true;
      }
    });
    for (const l of this.listeners) l(ev);
  }

  /** Subscribes to every town event this tab receives; returns the unsubscribe function. */
  readonly listen = (listener: TownEventListener): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unwatch();
  }

  private mark(fn: (d: Dirty) => void): void {
    fn(this.dirty);
    this.timer ??= setTimeout(() => this.flush(), COALESCE_MS);
  }

  private flush(): void {
    const { trpc } = this;
    this.timer = null;
    const d = this.dirty;
    this.dirty = clean();
    if (d.all) return this.invalidate({});
    for (const column of d.columns) this.invalidate({ queryKey: trpc.task.column.infiniteQueryKey({ column }) });
    for (const taskId of d.tasks) this.invalidate({ queryKey: trpc.task.get.queryKey({ taskId }) });
    if (d.columns.size > 0 || d.tasks.size > 0) this.invalidate(trpc.task.list.pathFilter());
    if (d.columns.size > 0 || d.tasks.size > 0 || d.agents) this.invalidate(trpc.usage.pathFilter());
    if (d.agents || d.columns.size > 0) {
      this.invalidate(trpc.agent.list.pathFilter());
      this.invalidate(trpc.agent.get.pathFilter());
    }
    if (d.messages) {
      this.invalidate(trpc.message.inbox.pathFilter());
      this.invalidate(trpc.agent.get.pathFilter());
    }
    this.invalidate(trpc.town.pathFilter());
  }

  /** Refetches what `filters` match now, and once more after any first fetch that was already in flight. */
  private invalidate(filters: InvalidateQueryFilters): void {
    for (const q of this.qc.getQueryCache().findAll(filters))
      if (q.state.data === undefined && q.state.fetchStatus === "fetching") this.again.add(q.queryHash);
    void this.qc.invalidateQueries(filters);
  }
}
