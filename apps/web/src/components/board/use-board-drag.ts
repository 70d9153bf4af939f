"use client";

import {
  MouseSensor,
  TouchSensor,
  useSensor,
  useSensors,
  type DndContextProps,
  type DragEndEvent,
  type DragStartEvent,
  type Modifier,
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
 * A touch becomes a drag after a press this long that stays within {@link TOUCH_TOLERANCE_PX}; a finger that moves
 * sooner scrolls the column (and the board) as usual.
 */
export const TOUCH_PRESS_MS = 220;
const TOUCH_TOLERANCE_PX = 8;

/** Where the lifted card floats, from the pointer: beside and below it, so the target under it stays visible. */
const BESIDE_POINTER = { x: 18, y: 14 };

/**
 * The lifted card follows the pointer from beside it instead of covering what it is dropped on (collision is decided
 * by the pointer itself: `pointerWithin`). Keyboard drags keep the card centred on the chosen target.
 */
const besidePointer: Modifier = ({ activatorEvent, draggingNodeRect, transform }) => {
  if (!activatorEvent || !draggingNodeRect || activatorEvent instanceof KeyboardEvent) return transform;
  const point =
    "touches" in activatorEvent
      ? (activatorEvent as TouchEvent).touches[0]
      : "clientX" in activatorEvent
        ? (activatorEvent as MouseEvent)
        : null;
  if (!point) return transform;
  return {
    ...transform,
    x: transform.x + point.clientX - draggingNodeRect.left + BESIDE_POINTER.x,
    y: transform.y + point.clientY - draggingNodeRect.top + BESIDE_POINTER.y,
  };
};
export const OVERLAY_MODIFIERS = [besidePointer];

/**
 * Drag and drop on the board: the lifted card, where it may go (core's rules), the sensors (mouse after 6 px, touch
 * after a press of {@link TOUCH_PRESS_MS}, the keyboard through {@link useKeyboardMove}) and the DndContext handlers.
 * `onDrop` is called for legal drops only. With `enabled` false (offline, or a viewer) nothing can be picked up.
 */
export function useBoardDrag(opts: {
  agents: AgentRow[];
  agentNames: Map<string, string>;
  enabled: boolean;
  onDrop: (card: TaskCard, target: MoveTarget, byKeyboard: boolean) => void;
}) {
  const { agents, agentNames, onDrop, enabled } = opts;
  const [active, setActive] = useState<TaskCard | null>(null);
  const [keyboardDrag, setKeyboardDrag] = useState(false);
  // The card as it was picked up. dnd-kit's own `active.data` is lost if the card unmounts mid-drag (it moved
  // column because someone else changed it): the drop must still go to the server, with the state and version
  // the person saw, so the server can refuse it.
  const picked = useRef<TaskCard | null>(null);
  const lastDragEnd = useRef(0);

  const targetsOf = useCallback((card: TaskCard) => dropTargetIds(card, agents, agentNames), [agents, agentNames]);
  const targets = useMemo(() => (active ? targetsOf(active) : []), [active, targetsOf]);
  const valid = useMemo(() => (active ? new Set(targets) : null), [active, targets]);

  const keyboard = useKeyboardMove(targets, active !== null);
  // A small distance, so a click still opens the card.
  const mouse = useSensor(MouseSensor, { activationConstraint: { distance: 6 } });
  const touch = useSensor(TouchSensor, {
    activationConstraint: { delay: TOUCH_PRESS_MS, tolerance: TOUCH_TOLERANCE_PX },
  });
  const sensors = useSensors(enabled ? mouse : null, enabled ? touch : null, enabled ? keyboard.sensor : null);

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
      setKeyboardDrag(e.activatorEvent instanceof KeyboardEvent);
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
      if (card && target && canDrop(card, agents, agentNames, target)) onDrop(card, target, isKeyboardDrag());
    },
    [agents, agentNames, isKeyboardDrag, onDrop],
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

  return { dnd, active, keyboardDrag, accepts, acceptingAgents, justDragged };
}
