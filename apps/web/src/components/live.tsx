"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { createContext, useCallback, useContext, useEffect, useRef } from "react";

import type { TaskState, TownEvent } from "@tinytown/core";

import { columnOf, COLUMNS, type ColumnId } from "../lib/board";
import { useTRPC } from "../trpc/react";
import type { LiveStatus } from "./live-indicator";

type Listener = (event: TownEvent) => void;
interface Live {
  status: LiveStatus;
  /** Subscribes to every town event this tab receives; returns the unsubscribe function. */
  listen: (listener: Listener) => () => void;
}
const LiveContext = createContext<Live | null>(null);

/** Events arriving within this window are folded into one round of invalidations (a burst of 50 moves = 1 refetch). */
const COALESCE_MS = 25;
const TASK_STATES = new Set<string>(["pending", "assigned", "running", "completed", "failed", "cancelled"]);

interface Dirty {
  all: boolean;
  columns: Set<ColumnId>;
  tasks: Set<string>;
  agents: boolean;
  messages: boolean;
}
/** The safety refetch after a (re)connect. */
const SETTLE_MS = 1_000;
const clean = (): Dirty => ({ all: false, columns: new Set(), tasks: new Set(), agents: false, messages: false });

/**
 * The tab's ONE live connection: `town.events` over SSE. Each event marks the queries it affects as stale
 * (the board column(s) a task left and entered, the task's page, agents, inboxes, the overview); they refetch
 * in one coalesced round. After every (re)connect everything is refetched, so nothing missed while offline
 * stays on screen; the link also resumes from the last event id, which the server replays.
 */
export function LiveProvider(props: { children: React.ReactNode }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const listeners = useRef(new Set<Listener>());
  const dirty = useRef<Dirty>(clean());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const settle = useRef<ReturnType<typeof setTimeout> | null>(null);

  const flush = useCallback(() => {
    timer.current = null;
    const d = dirty.current;
    dirty.current = clean();
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
  }, [qc, trpc]);

  const mark = useCallback(
    (fn: (d: Dirty) => void) => {
      fn(dirty.current);
      timer.current ??= setTimeout(flush, COALESCE_MS);
    },
    [flush],
  );

  const onEvent = useCallback(
    (ev: TownEvent) => {
      mark((d) => {
        if (ev.type.startsWith("task.")) {
          if (ev.taskId) d.tasks.add(ev.taskId);
          const states = [ev.from, ev.to].filter((s): s is TaskState => typeof s === "string" && TASK_STATES.has(s));
          if (states.length === 0 || ev.type === "task.created") {
            // A created task may start assigned; without from/to we cannot tell which column moved.
            if (states.length === 0) for (const c of COLUMNS) d.columns.add(c.id);
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
      for (const l of listeners.current) l(ev);
    },
    [mark],
  );

  const sub = useSubscription(
    trpc.town.events.subscriptionOptions(
      {},
      {
        // A fresh subscription begins with a `stream.ready` marker (handled in onEvent: refetch everything); after a
        // reconnect the server replays from the last id, and a refetch here covers anything older than the stream's cap.
        // One more refetch a second later is a safety net: in about 1 of 8 CI runs a freshly opened stream delivered
        // nothing for seconds (not even the marker); the cause is not found yet (see the closing note of stop 7).
        onStarted: () => {
          mark((d) => (d.all = true));
          if (settle.current) clearTimeout(settle.current);
          settle.current = setTimeout(() => mark((d) => (d.all = true)), SETTLE_MS);
        },
        onData: (tracked) => onEvent(tracked.data),
      },
    ),
  );

  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
      if (settle.current) clearTimeout(settle.current);
    },
    [],
  );

  const listen = useCallback((l: Listener) => {
    listeners.current.add(l);
    return () => void listeners.current.delete(l);
  }, []);

  return <LiveContext.Provider value={{ status: sub.status, listen }}>{props.children}</LiveContext.Provider>;
}

export function useLive(): Live {
  const ctx = useContext(LiveContext);
  if (!ctx) throw new Error("useLive outside LiveProvider");
  return ctx;
}

/** Calls `listener` for each town event while the component is mounted. */
export function useTownEvents(listener: Listener): void {
  const { listen } = useLive();
  const ref = useRef(listener);
  useEffect(() => {
    ref.current = listener;
  });
  useEffect(() => listen((e) => ref.current(e)), [listen]);
}
