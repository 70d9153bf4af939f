"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";

import { useTRPC } from "../../trpc/react";
import { useTownEvents } from "../live";

/**
 * The open "Needs you" items, kept live: a question, claim or answer (`need.*`, `task.waiting`) and every task change
 * (a failure opens an item, a retry closes one) refetch the list in every open browser.
 */
export function useNeeds() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const query = useQuery(trpc.needs.list.queryOptions({ limit: 100 }));
  useTownEvents((e) => {
    if (e.type.startsWith("need.") || e.type.startsWith("task."))
      void qc.invalidateQueries(trpc.needs.list.pathFilter());
  });
  return query;
}
