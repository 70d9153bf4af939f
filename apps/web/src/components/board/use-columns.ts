"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { useCallback, useMemo } from "react";

import type { BoardColumn } from "@tinytown/core/schema";

import { useTRPC } from "../../trpc/react";
import type { TaskCard } from "./types";

/** Cards fetched per request; a column loads more as it is scrolled. */
const PAGE_SIZE = 200;

export interface ColumnData {
  items: TaskCard[];
  total: number;
  loading: boolean;
  hasMore: boolean;
  /** The first page could not be loaded (offline): the column is not known to be empty. */
  failed: boolean;
  fetchMore: () => void;
}

/** One column's infinite query (task.column), flattened; duplicates across pages (a card moved while paging) are dropped. */
export function useColumn(column: BoardColumn): ColumnData {
  const trpc = useTRPC();
  const q = useInfiniteQuery(
    trpc.task.column.infiniteQueryOptions(
      { column, limit: PAGE_SIZE },
      { getNextPageParam: (last) => last.nextCursor ?? undefined, staleTime: 60_000 },
    ),
  );
  const items = useMemo(() => {
    const seen = new Set<string>();
    const out: TaskCard[] = [];
    for (const page of q.data?.pages ?? []) {
      for (const c of page.items) {
        if (seen.has(c.id)) continue;
        seen.add(c.id);
        out.push(c);
      }
    }
    return out;
  }, [q.data]);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = q;
  const fetchMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  const total = q.data?.pages[0]?.total ?? 0;
  const failed = q.isError && q.data === undefined;
  const loading = (q.isPending && !failed) || isFetchingNextPage;
  return useMemo(
    () => ({ items, total, loading, hasMore: hasNextPage, failed, fetchMore }),
    [items, total, loading, hasNextPage, failed, fetchMore],
  );
}
