import type { QueryClient } from "@tanstack/react-query";

import { BOARD_COLUMNS, columnOf, TaskState, type BoardColumn, type TownEvent } from "@tinytown/core/schema";

import type { useTRPC } from "../trpc/react";

export type TownEventListener = (event: TownEvent) => void;
type TRPC = ReturnType<typeof useTRPC>;

/** Events arriving within this window are folded into one round of invalidations (a burst of 50 moves = 1 refetch). */
const COALESCE_MS = 25;
/** The safety refetch after a (re)connect. */
const SETTLE_MS = 1_000;

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
 */
export class LiveSync {
  private dirty = clean();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private settle: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<TownEventListener>();

  constructor(
    private readonly qc: QueryClient,
    private readonly trpc: TRPC,
  ) {}

  /**
   * The stream (re)connected: refetch everything, so nothing missed while offline stays on screen. One more refetch a
   * second later is a safety net: in about 1 of 8 CI runs a freshly opened stream delivered nothing for seconds (not
   * even the `stream.ready` marker); the cause is not found yet.
   */
  connected(): void {
    this.mark((d) => (d.all = true));
    if (this.settle) clearTimeout(this.settle);
    this.settle = setTimeout(() => this.mark((d) => (d.all = true)), SETTLE_MS);
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
        for (const s of states) d.columns.add(columnOf(s));
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
    if (this.settle) clearTimeout(this.settle);
    this.timer = this.settle = null;
  }

  private mark(fn: (d: Dirty) => void): void {
    fn(this.dirty);
    this.timer ??= setTimeout(() => this.flush(), COALESCE_MS);
  }

  private flush(): void {
    const { qc, trpc } = this;
    this.timer = null;
    const d = this.dirty;
    this.dirty = clean();
    if (d.all) {
      void qc.invalidateQueries();
      return;
    }
    for (const column of d.columns)
      void qc.invalidateQueries({ queryKey: trpc.task.column.infiniteQueryKey({ column }) });
    for (const taskId of d.tasks) void qc.invalidateQueries({ queryKey: trpc.task.get.queryKey({ taskId }) });
    if (d.columns.size > 0 || d.tasks.size > 0) void qc.invalidateQueries(trpc.task.list.pathFilter());
    if (d.agents || d.columns.size > 0) {
      void qc.invalidateQueries(trpc.agent.list.pathFilter());
      void qc.invalidateQueries(trpc.agent.get.pathFilter());
    }
    if (d.messages) {
      void qc.invalidateQueries(trpc.message.inbox.pathFilter());
      void qc.invalidateQueries(trpc.agent.get.pathFilter());
    }
    void qc.invalidateQueries(trpc.town.pathFilter());
  }
}
