"use client";

import {
  PointerSensor,
  useSensor,
  useSensors,
  type DndContextProps,
  type DragEndEvent,
  type DragStartEvent,
} from "@dnd-kit/core";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import type { BoardColumn, MoveTarget } from "@tinytown/core/schema";

import { dragAnnouncements, SCREEN_READER_INSTRUCTIONS } from "./announcements";
import { canDrop, COLUMN_DROPS, dropTargetIds, parseDropId } from "./drop-targets";
import type { AgentRow, TaskCard } from "./types";
import { useKeyboardMove } from "./use-keyboard-move";

/** A click this soon after a drag ends is the drag's own click, not "open the card". */
const CLICK_AFTER_DRAG_MS = 300;

/**
 * Drag and drop on the board: the lifted card, where it may go (core's rules), the sensors (pointer after 6 px, the
 * keyboard through {@link useKeyboardMove}) and the DndContext handlers. `onDrop` is called for legal drops only.
 */
export function useBoardDrag(opts: {
  agents: AgentRow[];
  agentNames: Map<string, string>;
  onDrop: (card: TaskCard, target: MoveTarget, byKeyboard: boolean) => void;
}) {
  const { agents, agentNames, onDrop } = opts;
  const [active, setActive] = useState<TaskCard | null>(null);
  // The card as it was picked up. dnd-kit's own `active.data` is lost if the card unmounts mid-drag (it moved
  // column because someone else changed it): the drop must still go to the server, with the state and version
  // the person saw, so the server can refuse it.
  const picked = useRef<TaskCard | null>(null);
  const lastDragEnd = useRef(0);

  const targetsOf = useCallback((card: TaskCard) => dropTargetIds(card, agents, agentNames), [agents, agentNames]);
  const targets = useMemo(() => (active ? targetsOf(active) : []), [active, targetsOf]);
  const valid = useMemo(() => (active ? new Set(targets) : null), [active, targets]);

  const keyboard = useKeyboardMove(targets, active !== null);
  const sensors = useSensors(
    // A small distance, so a click still opens the card.
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    keyboard.sensor,
  );

  useEffect(() => {
    if (!active) return;
    // Single-key shortcuts stay quiet while a card is in the air (see hotkeys.ts).
    document.body.dataset.dragging = "true";
    return () => void delete document.body.dataset.dragging;
  }, [active]);

  const { start: startKeyboard, isKeyboardDrag } = keyboard;
  const onDragStart = useCallback(
    (e: DragStartEvent) => {
      startKeyboard(e);
      picked.current = (e.active.data.current as { card: TaskCard }).card;
      setActive(picked.current);
    },
    [startKeyboard],
  );
  const onDragEnd = useCallback(
    (e: DragEndEvent) => {
      const card = picked.current;
      picked.current = null;
      setActive(null);
      lastDragEnd.current = Date.now();
      const target = e.over ? parseDropId(String(e.over.id)) : null;
      if (card && target && canDrop(card, agentNames, target)) onDrop(card, target, isKeyboardDrag());
    },
    [agentNames, isKeyboardDrag, onDrop],
  );
  const onDragCancel = useCallback(() => {
    picked.current = null;
    setActive(null);
    lastDragEnd.current = Date.now();
  }, []);

  const announcements = useMemo(
    () => dragAnnouncements((card) => targetsOf(card).length, active?.state),
    [targetsOf, active],
  );

  /** Props for DndContext. */
  const dnd = {
    sensors,
    collisionDetection: keyboard.collision,
    accessibility: { announcements, screenReaderInstructions: SCREEN_READER_INSTRUCTIONS },
    onDragStart,
    onDragEnd,
    onDragCancel,
  } satisfies DndContextProps;

  /** While a card is dragged, whether `column` takes it; null when nothing is dragged. */
  const accepts = useCallback(
    (column: BoardColumn): boolean | null => {
      if (!valid) return null;
      const drop = COLUMN_DROPS[column];
      return drop ? valid.has(drop.id) : false;
    },
    [valid],
  );
  /** While a card is dragged, the names of the agents that take it; null when nothing is dragged. */
  const acceptingAgents = useMemo(() => {
    if (!valid) return null;
    const names = new Set<string>();
    for (const id of valid) {
      const t = parseDropId(id);
      if (t?.kind === "agent") names.add(t.agent);
    }
    return names;
  }, [valid]);

  /** Whether a click now is the one that ended a drag. */
  const justDragged = useCallback(() => Date.now() - lastDragEnd.current < CLICK_AFTER_DRAG_MS, []);

  return { dnd, active, accepts, acceptingAgents, justDragged };
}
