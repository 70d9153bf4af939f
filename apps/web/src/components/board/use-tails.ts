"use client";

import { useSubscription } from "@trpc/tanstack-react-query";
import { useMemo, useState } from "react";

import { useTRPC } from "../../trpc/react";
import type { TaskCard } from "./types";

/** Running cards followed at once (the server allows 50 per stream). */
const MAX = 50;

/**
 * The last output line of each running card, live: one `task.tails` stream for all of them, re-opened when the set of
 * running tasks changes.
 */
export function useTails(running: TaskCard[], enabled: boolean): ReadonlyMap<string, string> {
  const trpc = useTRPC();
  const key = running
    .slice(0, MAX)
    .map((c) => c.id)
    .sort()
    .join(",");
  const taskIds = useMemo(() => (key ? key.split(",") : []), [key]);
  const [lines, setLines] = useState<{ key: string; map: Map<string, string> }>({ key: "", map: new Map() });
  useSubscription(
    trpc.task.tails.subscriptionOptions(
      { taskIds },
      {
        enabled: enabled && taskIds.length > 0,
        onData: (batch) =>
          setLines((prev) => {
            const map = new Map(prev.key === key ? prev.map : []);
            for (const [id, t] of Object.entries(batch)) map.set(id, t.line);
            return { key, map };
          }),
      },
    ),
  );
  return lines.key === key ? lines.map : EMPTY;
}

const EMPTY: ReadonlyMap<string, string> = new Map();
