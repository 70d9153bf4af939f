"use client";

import { useCallback, useSyncExternalStore } from "react";

/** How much the board fits on a screen: comfortable cards (title, status, id, tags, agent) or compact ones. */
export type Density = "comfortable" | "compact";

const KEY = "tt-density";
const listeners = new Set<() => void>();

function read(): Density {
  try {
    return localStorage.getItem(KEY) === "compact" ? "compact" : "comfortable";
  } catch {
    return "comfortable";
  }
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  window.addEventListener("storage", fn);
  return () => {
    listeners.delete(fn);
    window.removeEventListener("storage", fn);
  };
}

/** The board density this browser chose (kept in localStorage), and the setter. */
export function useDensity(): [Density, (d: Density) => void] {
  const density = useSyncExternalStore<Density>(subscribe, read, () => "comfortable");
  const set = useCallback((d: Density) => {
    try {
      localStorage.setItem(KEY, d);
    } catch {
      /* private mode: this tab only */
    }
    for (const l of listeners) l();
  }, []);
  return [density, set];
}
