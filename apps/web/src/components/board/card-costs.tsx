"use client";

import { useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";

import { BOARD_COLUMNS, type BoardColumn } from "@tinytown/core/schema";

import { useTRPC } from "../../trpc/react";
import { usd } from "../usage/format";
import type { ColumnData } from "./use-columns";

/** Tasks per `usage.tasks` request (the server takes at most 200). */
const CHUNK = 200;
/**
 * Running cards' cost moves while they run, and no town event says so: while any is on screen, the costs are
 * re-read this often. Everything else refreshes with the board (task events invalidate `usage`).
 */
const RUNNING_REFRESH_MS = 5_000;

type Cost = { usd: number; unpriced: boolean };
/** Where the loader leaves the costs for the cards: one cache entry, each card selecting its own. */
const COSTS_KEY = ["tinytown", "card-costs"] as const;

// Module-level, so TanStack Query reruns it only when a result changes.
function combine(results: { data?: Record<string, Cost> }[]): Map<string, Cost> {
  const m = new Map<string, Cost>();
  for (const r of results) for (const [id, c] of Object.entries(r.data ?? {})) m.set(id, c);
  return m;
}

/** Fetches the cost of every loaded card that has run, for the {@link CardCost} of each card. Renders nothing. */
export function CardCostsLoader(props: { columns: Record<BoardColumn, ColumnData> }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const cards = BOARD_COLUMNS.flatMap((c) => props.columns[c.id].items);
  const key = cards
    .map((c) => c.id)
    .sort()
    .join(",");
  const running = cards.some((c) => c.state === "running");
  const chunks = useMemo(() => {
    const ids = key ? key.split(",") : [];
    const out: string[][] = [];
    for (let i = 0; i < ids.length; i += CHUNK) out.push(ids.slice(i, i + CHUNK));
    return out;
  }, [key]);
  const costs = useQueries({
    queries: chunks.map((taskIds) =>
      trpc.usage.tasks.queryOptions(
        { taskIds },
        { staleTime: 30_000, placeholderData: (prev) => prev, refetchInterval: running ? RUNNING_REFRESH_MS : false },
      ),
    ),
    combine,
  });
  useEffect(() => {
    qc.setQueryData(COSTS_KEY, costs);
  }, [qc, costs]);
  return null;
}

/** A card's cost (`$0.42`), only when known. */
export function CardCost(props: { taskId: string }) {
  const { data: cost } = useQuery({
    queryKey: COSTS_KEY,
    queryFn: () => new Map<string, Cost>(),
    staleTime: Infinity,
    select: (m: Map<string, Cost>) => m.get(props.taskId),
  });
  if (!cost) return null;
  return (
    <span
      className="shrink-0 font-medium whitespace-nowrap text-zinc-700 tabular-nums dark:text-zinc-300"
      title={cost.unpriced ? "cost so far (some tokens have no known price)" : "cost so far"}
      data-testid="card-cost"
    >
      <span className="sr-only">cost </span>
      {usd(cost.usd)}
      {cost.unpriced ? "+" : ""}
    </span>
  );
}
