"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { createContext, useContext, useEffect, useMemo, useRef, useState } from "react";

import { useTRPC } from "../trpc/react";
import type { LiveStatus } from "./live-indicator";
import { LiveSync, type TownEventListener } from "./live-sync";

interface Live {
  status: LiveStatus;
  /** Subscribes to every town event this tab receives; returns the unsubscribe function. */
  listen: (listener: TownEventListener) => () => void;
}
const LiveContext = createContext<Live | null>(null);

/**
 * The tab's ONE live connection: `town.events` over SSE, fed to {@link LiveSync} (coalesced invalidations, listeners).
 * A fresh subscription begins with a `stream.ready` marker; after a reconnect the server replays from the last id
 * the link resumes from, and the refetch on every (re)connect covers anything older than the stream's cap.
 */
export function LiveProvider(props: { children: React.ReactNode }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [sync] = useState(() => new LiveSync(qc, trpc));
  useEffect(() => () => sync.dispose(), [sync]);

  const sub = useSubscription(
    trpc.town.events.subscriptionOptions(
      {},
      { onStarted: () => sync.connected(), onData: (tracked) => sync.receive(tracked.data) },
    ),
  );
  const live = useMemo(() => ({ status: sub.status, listen: sync.listen }), [sub.status, sync]);
  return <LiveContext.Provider value={live}>{props.children}</LiveContext.Provider>;
}

export function useLive(): Live {
  const ctx = useContext(LiveContext);
  if (!ctx) throw new Error("useLive outside LiveProvider");
  return ctx;
}

/** Calls `listener` for each town event while the component is mounted. */
export function useTownEvents(listener: TownEventListener): void {
  const { listen } = useLive();
  const ref = useRef(listener);
  useEffect(() => {
    ref.current = listener;
  });
  useEffect(() => listen((e) => ref.current(e)), [listen]);
}
