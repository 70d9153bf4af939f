"use client";

import { useDroppable } from "@dnd-kit/core";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useImperativeHandle, useRef, type Ref } from "react";

import type { BoardColumn } from "@tinytown/core/schema";

import type { Density } from "./density";
import { CARD_GAP, CARD_HEIGHT, DraggableCard } from "./task-card";
import { assigneeOf, type TaskCard } from "./types";

export interface ColumnHandle {
  /** Scrolls the card at `index` (in the filtered list) into view. */
  scrollToIndex: (index: number) => void;
}

interface ColumnProps {
  id: BoardColumn;
  title: string;
  items: TaskCard[];
  /** Tasks in the column on the server (not just those loaded). */
  total: number;
  loaded: number;
  loading: boolean;
  failed: boolean;
  hasMore: boolean;
  fetchMore: () => void;
  /** Droppable id when this column accepts drops (Backlog, Cancelled), else null. */
  dropId: string | null;
  /** While a card is dragged: whether it may be dropped here. null = nothing is dragged. */
  accepts: boolean | null;
  dropLabel?: string;
  agentNames: Map<string, string>;
  density: Density;
  /** Last output lines of running tasks, by task id. */
  tails: ReadonlyMap<string, string>;
  /** Whether the viewer may move cards now. */
  movable: boolean;
  focusedId: string | null;
  pendingIds: ReadonlySet<string>;
  onOpen: (id: string) => void;
  onFocusCard: (id: string) => void;
  onMenu: (card: TaskCard, anchor: HTMLElement) => void;
  handle: Ref<ColumnHandle>;
}

const ACCENT: Record<BoardColumn, string> = {
  backlog: "bg-zinc-500",
  assigned: "bg-sky-500",
  running: "bg-amber-500",
  review: "bg-violet-500",
  done: "bg-emerald-500",
  failed: "bg-red-500",
};

/** One board column: a virtualised list (only the visible cards are in the DOM), loading more as you scroll. */
export function Column(props: ColumnProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const { setNodeRef, isOver } = useDroppable({
    id: props.dropId ?? `static:${props.id}`,
    disabled: !props.dropId || props.accepts !== true,
  });
  const { items, hasMore, loading, fetchMore, density } = props;
  const height = CARD_HEIGHT[density];

  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => height + CARD_GAP,
    getItemKey: (i) => items[i]!.id,
    overscan: 6,
    paddingStart: 2,
    paddingEnd: 8,
  });

  useEffect(() => virtualizer.measure(), [virtualizer, height]);

  useImperativeHandle(
    props.handle,
    () => ({ scrollToIndex: (index) => virtualizer.scrollToIndex(index, { align: "auto" }) }),
    [virtualizer],
  );

  const virtualItems = virtualizer.getVirtualItems();
  const lastIndex = virtualItems.at(-1)?.index ?? -1;
  useEffect(() => {
    // Load the next page when the user scrolls within 30 cards of the end of what is loaded.
    if (hasMore && !loading && lastIndex >= items.length - 30) fetchMore();
  }, [hasMore, loading, lastIndex, items.length, fetchMore]);

  const highlight = props.accepts === true && isOver;
  const tabbableId =
    props.focusedId && items.some((c) => c.id === props.focusedId) ? props.focusedId : (items[0]?.id ?? null);

  return (
    <section
      ref={setNodeRef}
      data-testid={`column-${props.id}`}
      data-drop-target={props.accepts === true ? "valid" : undefined}
      data-over={props.accepts === true && isOver ? "true" : undefined}
      aria-label={`${props.title}: ${props.total} task${props.total === 1 ? "" : "s"}`}
      className={`relative flex h-full min-h-0 w-[82vw] shrink-0 snap-start flex-col rounded-xl border transition-colors sm:w-72 lg:w-auto lg:min-w-48 lg:flex-1 ${
        highlight
          ? "border-indigo-400 bg-indigo-50/70 dark:border-indigo-500 dark:bg-indigo-950/30"
          : props.accepts === true
            ? "border-dashed border-indigo-300 bg-zinc-50 dark:border-indigo-700 dark:bg-zinc-900/40"
            : "border-zinc-200/70 bg-zinc-50 dark:border-zinc-800/80 dark:bg-zinc-900/40"
      } ${props.accepts === false ? "opacity-60" : ""}`}
    >
      <header className="flex h-10 shrink-0 items-center gap-2 px-3 whitespace-nowrap">
        <span aria-hidden className={`size-2 shrink-0 rounded-full ${ACCENT[props.id]}`} />
        <h2 className="truncate text-[13px] font-semibold">{props.title}</h2>
        <span className="text-xs text-zinc-600 tabular-nums dark:text-zinc-400" data-testid={`count-${props.id}`}>
          {items.length !== props.loaded ? `${items.length} / ` : ""}
          {props.total}
        </span>
      </header>
      {props.accepts === true && props.dropLabel ? (
        // Over the list, not in the header: the header keeps its one line while a card is in the air.
        <span className="pointer-events-none absolute inset-x-3 top-10 z-10 rounded-md bg-indigo-600 px-2 py-1 text-center text-[11px] font-medium text-white shadow">
          {props.dropLabel}
        </span>
      ) : null}
      <div
        ref={scrollRef}
        // Focusable, so a keyboard user can scroll a column with no card in the tab order yet.
        tabIndex={items.length === 0 ? 0 : -1}
        role="region"
        aria-label={`${props.title} cards`}
        className="scroll-thin min-h-0 flex-1 overflow-y-auto px-2"
        data-testid={`scroll-${props.id}`}
      >
        {items.length === 0 ? (
          <p className="px-1 py-6 text-center text-xs text-zinc-600 dark:text-zinc-400">
            {props.failed
              ? "Could not load these tasks (offline)"
              : loading
                ? "Loading…"
                : props.loaded > 0
                  ? "No cards match the filters"
                  : "No tasks"}
          </p>
        ) : (
          <div className="relative w-full" style={{ height: virtualizer.getTotalSize() }}>
            {virtualItems.map((v) => {
              const card = items[v.index]!;
              return (
                <div
                  key={v.key}
                  className="absolute inset-x-0 top-0"
                  style={{ transform: `translateY(${v.start}px)`, height }}
                >
                  <DraggableCard
                    card={card}
                    agentName={assigneeOf(card, props.agentNames)}
                    density={density}
                    tail={props.tails.get(card.id) ?? null}
                    movable={props.movable}
                    tabbable={card.id === tabbableId}
                    pending={props.pendingIds.has(card.id)}
                    onOpen={props.onOpen}
                    onFocusCard={props.onFocusCard}
                    onMenu={props.onMenu}
                  />
                </div>
              );
            })}
          </div>
        )}
        {hasMore && items.length > 0 ? (
          <p className="py-2 text-center text-xs text-zinc-600 dark:text-zinc-400">Loading more…</p>
        ) : null}
      </div>
    </section>
  );
}
