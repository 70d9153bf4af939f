"use client";

import { createRef, useCallback, useEffect, useMemo, useRef, useState, type RefObject } from "react";

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
  const latest = useRef(filtered);
  useEffect(() => {
    latest.current = filtered;
  }, [filtered]);

  /**
   * Keeps the focus on task `id` while it moves (a keyboard drop, a menu move): the card unmounts from its old column
   * and mounts in the new one, maybe twice (optimistic, then the server's version). For a while after the move, each
   * frame scrolls its new column to it and focuses it again if the focus fell to the page — never away from
   * something else the person focused meanwhile.
   */
  const followTask = useCallback(
    (id: string) => {
      setFocusedId(id);
      const until = performance.now() + 1_500;
      const step = () => {
        const el = document.querySelector<HTMLElement>(`[data-task-id="${id}"]`);
        const lost = document.activeElement === document.body || document.activeElement === null;
        if (!el || lost) {
          for (const c of BOARD_COLUMNS) {
            const i = latest.current[c.id].findIndex((t) => t.id === id);
            if (i !== -1) handles[c.id].current?.scrollToIndex(i);
          }
        }
        if (el && lost) el.focus({ preventScroll: true });
        if (performance.now() < until && (lost || !el || document.activeElement === el)) requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    },
    [handles],
  );

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

  return { focusedId, setFocusedId, followTask, handles, searchRef };
}
