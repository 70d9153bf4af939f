"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { createContext, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";

import { useTRPC } from "../trpc/react";
import { ConnectionStore, needsSignIn, type Connection } from "./connection";
import { LiveSync, type TownEventListener } from "./live-sync";

interface Live {
  connection: Connection;
  /** Whether changes can be made now (the stream is live): moves, new tasks and spawns are paused otherwise. */
  canChange: boolean;
  /** Subscribes to every town event this tab receives; returns the unsubscribe function. */
  listen: (listener: TownEventListener) => () => void;
}
const LiveContext = createContext<Live | null>(null);

/** A subscription that failed outright (e.g. the server refused it) is tried again after this long. */
const RETRY_FAILED_MS = 2_000;
const CONNECTING: Connection = { state: "connecting", reason: null };

/**
 * The tab's ONE live connection: `town.events` over SSE, fed to {@link LiveSync} (coalesced invalidations, listeners)
 * and to {@link ConnectionStore} (what the header says, whether changes are allowed). A fresh subscription begins with
 * a `stream.ready` marker; after a reconnect the server replays from the last id the link resumes from, and the
 * refetch on every (re)connect covers anything older than the stream's cap. The server sends a heartbeat every
 * second and ends the stream when the town's Redis is lost, so "live" is never shown while nothing can change.
 */
export function LiveProvider(props: { children: React.ReactNode }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [sync] = useState(() => new LiveSync(qc, trpc));
  const [store] = useState(() => new ConnectionStore());
  useEffect(
    () => () => {
      sync.dispose();
      store.dispose();
    },
    [sync, store],
  );

  // Every state change goes to the store as it happens (a render may fold several, and the first one says why).
  const sub = useSubscription(
    trpc.town.events.subscriptionOptions(
      {},
      {
        onStarted: () => sync.connected(),
        onData: (tracked) => sync.receive(tracked.data),
        onConnectionStateChange: (s) => store.update(s.state, s.error),
        onError: (err) => {
          // Signed out, removed, or open access ended (the first user was added): only signing in helps.
          if (needsSignIn(err)) return signIn();
          store.update("error", err);
        },
      },
    ),
  );
  const { status, reset } = sub;
  useEffect(() => {
    if (status !== "error") return;
    const timer = setTimeout(reset, RETRY_FAILED_MS);
    return () => clearTimeout(timer);
  }, [status, reset]);

  const connection = useSyncExternalStore(store.subscribe, store.get, () => CONNECTING);
  const live = useMemo(
    () => ({ connection, canChange: connection.state === "live", listen: sync.listen }),
    [connection, sync],
  );
  return <LiveContext.Provider value={live}>{props.children}</LiveContext.Provider>;
}

function signIn(): void {
  const next = window.location.pathname + window.location.search;
  window.location.assign(`/login${next === "/" ? "" : `?next=${encodeURIComponent(next)}`}`);
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
