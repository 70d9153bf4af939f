"use client";

import { useQuery } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";

import { BOARD_COLUMNS, type BoardColumn } from "@tinytown/core/schema";

import { useTRPC } from "../../trpc/react";
import { isFiltering, matches, NO_FILTERS, type Filters, type TaskCard } from "./types";
import { useColumn, type ColumnData } from "./use-columns";

/**
 * What the board shows: the agents (and which run a simulated model), the five columns (infinite queries), the
 * filters and the cards that pass them, and the tags seen so far.
 */
export function useBoardData() {
  const trpc = useTRPC();
  const agentsQ = useQuery(trpc.agent.list.queryOptions());
  const modelsQ = useQuery(trpc.town.models.queryOptions(undefined, { staleTime: 5 * 60_000 }));
  const agents = useMemo(() => agentsQ.data ?? [], [agentsQ.data]);
  const agentNames = useMemo(() => new Map(agents.map((a) => [a.id, a.name])), [agents]);
  const simulated = useMemo(
    () =>
      new Set(
        (modelsQ.data ?? [])
          .filter((m) => m.kind === "simulated")
          .map((m) => m.name)
          .concat("sim"),
      ),
    [modelsQ.data],
  );

  // One hook call per column (hooks cannot be called in a loop); `satisfies` keeps the list complete.
  const backlog = useColumn("backlog");
  const assigned = useColumn("assigned");
  const running = useColumn("running");
  const review = useColumn("review");
  const done = useColumn("done");
  const failed = useColumn("failed");
  const columns = useMemo(
    () => ({ backlog, assigned, running, review, done, failed }) satisfies Record<BoardColumn, ColumnData>,
    [backlog, assigned, running, review, done, failed],
  );

  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const filtered = useMemo(() => {
    const out = {} as Record<BoardColumn, TaskCard[]>;
    for (const c of BOARD_COLUMNS)
      out[c.id] = isFiltering(filters) ? columns[c.id].items.filter((t) => matches(t, filters)) : columns[c.id].items;
    return out;
  }, [filters, columns]);

  const tags = useMemo(() => {
    const s = new Set<string>();
    for (const c of BOARD_COLUMNS) for (const t of columns[c.id].items) for (const tag of t.tags) s.add(tag);
    return [...s].sort();
  }, [columns]);

  /** The description of a loaded task (an agent's current task), or null. */
  const taskText = useCallback(
    (id: string) => {
      for (const c of BOARD_COLUMNS) {
        const t = columns[c.id].items.find((x) => x.id === id);
        if (t) return t.description;
      }
      return null;
    },
    [columns],
  );

  return {
    agents,
    agentsLoading: agentsQ.isPending,
    agentNames,
    simulated,
    columns,
    filters,
    setFilters,
    filtered,
    tags,
    taskText,
  };
}
