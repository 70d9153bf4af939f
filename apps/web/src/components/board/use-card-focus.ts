"use client";

import { createRef, useCallback, useMemo, useRef, useState, type RefObject } from "react";

import { BOARD_COLUMNS, type BoardColumn } from "@tinytown/core/schema";

import { useHotkeys } from "../hotkeys";
import type { ColumnHandle } from "./column";
import type { TaskCard } from "./types";

/**
 * Moving the focus over the cards shown (`filtered`): j/k the next/previous card in reading order, h/l the
 * neighbouring column, `/` the search box. The focused card is the one each column keeps in the tab order.
 */
export function useCardFocus(filtered: Record<BoardColumn, TaskCard[]>) {
  const [focusedId, setFocusedId] = useState<string | null>(null);
  const handles = useMemo(
    () =>
      Object.fromEntries(BOARD_COLUMNS.map((c) => [c.id, createRef<ColumnHandle>()])) as Record<
        BoardColumn,
        RefObject<ColumnHandle | null>
      >,
    [],
  );
  const searchRef = useRef<HTMLInputElement>(null);

  const focusCard = useCallback(
    (column: BoardColumn, index: number) => {
      const card = filtered[column][index];
      if (!card) return;
      setFocusedId(card.id);
      handles[column].current?.scrollToIndex(index);
      // The virtualiser renders the card on the next frame(s).
      let tries = 0;
      const tryFocus = () => {
        const el = document.querySelector<HTMLElement>(`[data-task-id="${card.id}"]`);
        if (el) el.focus({ preventScroll: false });
        else if (tries++ < 10) requestAnimationFrame(tryFocus);
      };
      requestAnimationFrame(tryFocus);
    },
    [filtered, handles],
  );

  const locate = useCallback((): { column: BoardColumn; index: number } | null => {
    if (!focusedId) return null;
    for (const c of BOARD_COLUMNS) {
      const i = filtered[c.id].findIndex((t) => t.id === focusedId);
      if (i !== -1) return { column: c.id, index: i };
    }
    return null;
  }, [filtered, focusedId]);

  const stepCard = (dir: 1 | -1) => {
    const at = locate();
    const flat = BOARD_COLUMNS.flatMap((c) => filtered[c.id].map((_, i) => ({ column: c.id, index: i })));
    if (flat.length === 0) return;
    if (!at) return focusCard(flat[0]!.column, flat[0]!.index);
    const pos = flat.findIndex((p) => p.column === at.column && p.index === at.index);
    const next = flat[Math.min(flat.length - 1, Math.max(0, pos + dir))]!;
    focusCard(next.column, next.index);
  };
  const stepColumn = (dir: 1 | -1) => {
    const at = locate();
    const ci = at ? BOARD_COLUMNS.findIndex((c) => c.id === at.column) : -1;
    for (let i = ci + dir; i >= 0 && i < BOARD_COLUMNS.length; i += dir) {
      const col = BOARD_COLUMNS[i]!.id;
      if (filtered[col].length > 0) return focusCard(col, Math.min(at?.index ?? 0, filtered[col].length - 1));
    }
  };

  useHotkeys({
    j: () => stepCard(1),
    k: () => stepCard(-1),
    l: () => stepColumn(1),
    h: () => stepColumn(-1),
    "/": () => searchRef.current?.focus(),
  });

  return { focusedId, setFocusedId, handles, searchRef };
}
