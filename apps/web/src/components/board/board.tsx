"use client";

import {
  closestCenter,
  DndContext,
  DragOverlay,
  KeyboardSensor,
  MeasuringStrategy,
  PointerSensor,
  pointerWithin,
  useSensor,
  useSensors,
  type Announcements,
  type CollisionDetection,
  type DragEndEvent,
  type DragStartEvent,
} from "@dnd-kit/core";
import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { createRef, useCallback, useEffect, useMemo, useRef, useState } from "react";

import { canDrop, COLUMNS, describeTarget, dropId, parseDropId, type ColumnId, type DropTarget } from "../../lib/board";
import { useTRPC } from "../../trpc/react";
import { useShell } from "../app-shell";
import { useHotkeys } from "../hotkeys";
import { AgentRail } from "./agent-rail";
import { Column, type ColumnHandle } from "./column";
import { FilterBar } from "./filter-bar";
import { remapDragKeys, targetCoordinates } from "./keyboard-targets";
import { CardBody, CARD_HEIGHT } from "./task-card";
import { isFiltering, matches, NO_FILTERS, type Filters, type TaskCard } from "./types";
import { useColumn } from "./use-columns";
import { useMoveTask } from "./use-move";

const DROP_LABEL: Partial<Record<ColumnId, string>> = { backlog: "Drop to unassign / retry", failed: "Drop to cancel" };

/** The board: agents as drop targets, five virtualised columns, drag and drop with mouse, touch and keyboard. */
export function Board() {
  const trpc = useTRPC();
  const router = useRouter();
  const shell = useShell();
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

  const columns = {
    backlog: useColumn("backlog"),
    assigned: useColumn("assigned"),
    running: useColumn("running"),
    done: useColumn("done"),
    failed: useColumn("failed"),
  } satisfies Record<ColumnId, ReturnType<typeof useColumn>>;

  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const filtered = useMemo(() => {
    const out = {} as Record<ColumnId, TaskCard[]>;
    for (const c of COLUMNS)
      out[c.id] = isFiltering(filters) ? columns[c.id].items.filter((t) => matches(t, filters)) : columns[c.id].items;
    return out;
  }, [
    filters,
    columns.backlog.items,
    columns.assigned.items,
    columns.running.items,
    columns.done.items,
    columns.failed.items,
  ]);

  const allTags = useMemo(() => {
    const s = new Set<string>();
    for (const c of COLUMNS) for (const t of columns[c.id].items) for (const tag of t.tags) s.add(tag);
    return [...s].sort();
  }, [columns.backlog.items, columns.assigned.items, columns.running.items, columns.done.items, columns.failed.items]);

  const taskText = useCallback(
    (id: string) => {
      for (const c of COLUMNS) {
        const t = columns[c.id].items.find((x) => x.id === id);
        if (t) return t.description;
      }
      return null;
    },
    [columns.running.items, columns.assigned.items],
  );

  // Announcements for moves that finished (or were refused), besides dnd-kit's own drag announcements.
  const [status, setStatus] = useState("");
  const { move, pendingIds } = useMoveTask(agents, setStatus);

  /* ---------- drag and drop ---------- */
  const [active, setActive] = useState<TaskCard | null>(null);
  // The card as it was picked up. dnd-kit's own `active.data` is lost if the card unmounts mid-drag (it moved
  // column because someone else changed it): the drop must still go to the server, with the state and version
  // the person saw, so the server can refuse it.
  const picked = useRef<TaskCard | null>(null);
  const keyboardDrag = useRef(false);
  const keyboardMoved = useRef(false);
  const lastDragEnd = useRef(0);

  const validTargets = useCallback(
    (card: TaskCard): string[] => {
      const assignee = card.assignedTo ? (agentNames.get(card.assignedTo) ?? null) : null;
      const ids: string[] = [];
      if (canDrop(card.state, assignee, { kind: "backlog" })) ids.push(dropId.backlog);
      for (const a of agents)
        if (canDrop(card.state, assignee, { kind: "agent", agent: a.name })) ids.push(dropId.agent(a.name));
      if (canDrop(card.state, assignee, { kind: "cancelled" })) ids.push(dropId.cancelled);
      return ids;
    },
    [agents, agentNames],
  );
  const valid = useMemo(() => (active ? new Set(validTargets(active)) : null), [active, validTargets]);
  const order = useRef<string[]>([]);
  order.current = active ? validTargets(active) : [];

  const sensors = useSensors(
    // A small distance, so a click still opens the card.
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(KeyboardSensor, {
      keyboardCodes: { start: ["Space"], cancel: ["Escape"], end: ["Space", "Enter"] },
      coordinateGetter: targetCoordinates(
        () => order.current,
        () => (keyboardMoved.current = true),
      ),
    }),
  );

  const collision: CollisionDetection = useCallback((args) => {
    if (keyboardDrag.current) return keyboardMoved.current ? closestCenter(args) : [];
    return pointerWithin(args);
  }, []);

  useEffect(() => {
    if (!active) return;
    document.body.dataset.dragging = "true";
    const unmap = keyboardDrag.current ? remapDragKeys() : () => {};
    return () => {
      delete document.body.dataset.dragging;
      unmap();
    };
  }, [active]);

  const onDragStart = (e: DragStartEvent) => {
    keyboardDrag.current = e.activatorEvent instanceof KeyboardEvent;
    keyboardMoved.current = false;
    picked.current = (e.active.data.current as { card: TaskCard }).card;
    setActive(picked.current);
  };
  const onDragEnd = (e: DragEndEvent) => {
    const card = picked.current;
    picked.current = null;
    const focusBack = keyboardDrag.current;
    setActive(null);
    lastDragEnd.current = Date.now();
    const target = e.over ? parseDropId(String(e.over.id)) : null;
    if (!card || !target) return;
    const assignee = card.assignedTo ? (agentNames.get(card.assignedTo) ?? null) : null;
    if (!canDrop(card.state, assignee, target)) return;
    void move(card, target);
    if (focusBack) setFocusedId(card.id);
  };

  const announcements: Announcements = {
    onDragStart: ({ active: a }) => {
      const card = (a.data.current as { card: TaskCard }).card;
      const n = validTargets(card).length;
      return `Picked up task: ${card.description.slice(0, 80)}. ${n} target${n === 1 ? "" : "s"} available; use the arrow keys or Tab to choose one, Space to drop, Escape to cancel.`;
    },
    onDragOver: ({ over }) => {
      const t = over ? parseDropId(String(over.id)) : null;
      return t ? `Over ${describeTarget(t, active?.state)}.` : "Not over a drop target.";
    },
    onDragEnd: ({ over }) => {
      const t = over ? parseDropId(String(over.id)) : null;
      return t ? `Dropped on ${describeTarget(t, active?.state)}.` : "Dropped outside any target; nothing changed.";
    },
    onDragCancel: () => "Move cancelled; the card is back where it was.",
  };

  /* ---------- keyboard navigation (j/k/h/l) ---------- */
  const [focusedId, setFocusedId] = useState<string | null>(null);
  const handles = useMemo(
    () =>
      Object.fromEntries(COLUMNS.map((c) => [c.id, createRef<ColumnHandle>()])) as Record<
        ColumnId,
        React.RefObject<ColumnHandle | null>
      >,
    [],
  );
  const searchRef = useRef<HTMLInputElement>(null);

  const focusCard = useCallback(
    (column: ColumnId, index: number) => {
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

  const locate = useCallback((): { column: ColumnId; index: number } | null => {
    if (!focusedId) return null;
    for (const c of COLUMNS) {
      const i = filtered[c.id].findIndex((t) => t.id === focusedId);
      if (i !== -1) return { column: c.id, index: i };
    }
    return null;
  }, [filtered, focusedId]);

  const stepCard = (dir: 1 | -1) => {
    const at = locate();
    const flat = COLUMNS.flatMap((c) => filtered[c.id].map((_, i) => ({ column: c.id, index: i })));
    if (flat.length === 0) return;
    if (!at) return focusCard(flat[0]!.column, flat[0]!.index);
    const pos = flat.findIndex((p) => p.column === at.column && p.index === at.index);
    const next = flat[Math.min(flat.length - 1, Math.max(0, pos + dir))]!;
    focusCard(next.column, next.index);
  };
  const stepColumn = (dir: 1 | -1) => {
    const at = locate();
    const ci = at ? COLUMNS.findIndex((c) => c.id === at.column) : -1;
    for (let i = ci + dir; i >= 0 && i < COLUMNS.length; i += dir) {
      const col = COLUMNS[i]!.id;
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

  const onOpen = useCallback(
    (id: string) => {
      if (Date.now() - lastDragEnd.current < 300) return; // the click that ends a drag
      router.push(`/tasks/${id}`);
    },
    [router],
  );

  const accepts = (id: ColumnId): boolean | null => {
    if (!valid) return null;
    if (id === "backlog") return valid.has(dropId.backlog);
    if (id === "failed") return valid.has(dropId.cancelled);
    return false;
  };
  const acceptingAgents = useMemo(
    () =>
      valid ? new Set([...valid].filter((v) => v.startsWith("agent:")).map((v) => v.slice("agent:".length))) : null,
    [valid],
  );

  return (
    <DndContext
      sensors={sensors}
      collisionDetection={collision}
      measuring={{ droppable: { strategy: MeasuringStrategy.Always } }}
      accessibility={{
        announcements,
        screenReaderInstructions: {
          draggable:
            "To move a task, press Space to pick it up. Use the arrow keys or Tab to choose an agent, Backlog or Cancelled, then press Space to drop it or Escape to cancel. Press Enter to open the task.",
        },
      }}
      onDragStart={onDragStart}
      onDragEnd={onDragEnd}
      onDragCancel={() => {
        picked.current = null;
        setActive(null);
        lastDragEnd.current = Date.now();
      }}
    >
      <div className="flex h-full min-h-0 flex-col md:flex-row" data-testid="board">
        <AgentRail
          agents={agents}
          loading={agentsQ.isPending}
          simulated={simulated}
          currentTask={taskText}
          accepting={acceptingAgents}
          onSpawn={shell.openSpawn}
        />
        <div className="flex min-h-0 min-w-0 flex-1 flex-col">
          <FilterBar
            filters={filters}
            onChange={setFilters}
            agents={agents}
            tags={allTags}
            searchRef={searchRef}
            onCreate={shell.openCreate}
          />
          <div
            className="scroll-thin flex min-h-0 flex-1 snap-x snap-mandatory scroll-px-3 gap-3 overflow-x-auto px-3 pb-3 sm:snap-none md:px-4"
            data-testid="columns"
          >
            {COLUMNS.map((c) => (
              <Column
                key={c.id}
                id={c.id}
                title={c.title}
                items={filtered[c.id]}
                total={columns[c.id].total}
                loaded={columns[c.id].items.length}
                loading={columns[c.id].loading}
                hasMore={columns[c.id].hasMore}
                fetchMore={columns[c.id].fetchMore}
                dropId={c.id === "backlog" ? dropId.backlog : c.id === "failed" ? dropId.cancelled : null}
                accepts={accepts(c.id)}
                dropLabel={DROP_LABEL[c.id]}
                agentNames={agentNames}
                focusedId={focusedId}
                pendingIds={pendingIds as Set<string>}
                onOpen={onOpen}
                onFocusCard={setFocusedId}
                handle={handles[c.id]}
              />
            ))}
          </div>
        </div>
      </div>
      <DragOverlay dropAnimation={null}>
        {active ? (
          <div style={{ height: CARD_HEIGHT }} className="w-full rotate-1">
            <CardBody
              card={active}
              agentName={active.assignedTo ? (agentNames.get(active.assignedTo) ?? null) : null}
              lifted
            />
          </div>
        ) : null}
      </DragOverlay>
      <div aria-live="polite" role="status" className="sr-only" data-testid="board-status">
        {status}
      </div>
    </DndContext>
  );
}

export type { DropTarget };
