"use client";

import { useEffect, useRef, useSyncExternalStore } from "react";

import type { Need } from "@tinytown/core/schema";

const KEY = "tt:needs:notify";
const listeners = new Set<() => void>();

function subscribe(l: () => void) {
  listeners.add(l);
  return () => void listeners.delete(l);
}

/** Whether this browser opted in to notifications of new items (and the browser allows them). */
export function useNotifyOptIn(): [boolean, (on: boolean) => Promise<void>] {
  const on = useSyncExternalStore(
    subscribe,
    () =>
      typeof Notification !== "undefined" && Notification.permission === "granted" && localStorage.getItem(KEY) === "1",
    () => false,
  );
  const set = async (want: boolean) => {
    if (want && typeof Notification !== "undefined" && Notification.permission !== "granted")
      await Notification.requestPermission();
    localStorage.setItem(KEY, want ? "1" : "0");
    listeners.forEach((l) => l());
  };
  return [on, set];
}

/** Shows a browser notification for each item that appears while the page is open, for those who opted in. */
export function useNeedsNotifications(items: Need[] | undefined): void {
  const [on] = useNotifyOptIn();
  const seen = useRef<Set<string> | null>(null);
  useEffect(() => {
    if (!items) return;
    const first = seen.current === null;
    const known = (seen.current ??= new Set());
    for (const n of items) {
      if (known.has(n.id)) continue;
      known.add(n.id);
      if (first || !on) continue;
      const who = n.agentName ? `${n.agentName}: ` : "";
      new Notification(n.kind === "question" ? `${who}asks` : "Needs you", { body: `${who}${n.title}`, tag: n.id });
    }
  }, [items, on]);
}
