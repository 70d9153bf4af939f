"use client";

import {
  closestCenter,
  KeyboardSensor,
  pointerWithin,
  useSensor,
  type CollisionDetection,
  type DragStartEvent,
} from "@dnd-kit/core";
import { useCallback, useEffect, useRef } from "react";

import { nextTargetCoordinates, remapDragKeys } from "./keyboard-targets";

/**
 * Moving a card with the keyboard: Space picks it up, arrows and Tab jump between the drop targets `targets` (droppable
 * ids in reading order) instead of nudging the card pixel by pixel, Space or Enter drops, Escape cancels. Until the
 * first jump the card is over nothing, so a Space right after pick-up drops nowhere.
 */
export function useKeyboardMove(targets: readonly string[], dragging: boolean) {
  const byKeyboard = useRef(false);
  const moved = useRef(false);
  const order = useRef<readonly string[]>([]);
  useEffect(() => {
    order.current = targets;
  }, [targets]);

  // Installed at pick-up (not after the next render), so the very first Tab of a drag never moves the page's focus.
  const unmap = useRef<(() => void) | null>(null);
  useEffect(() => {
    if (dragging) return;
    unmap.current?.();
    unmap.current = null;
  }, [dragging]);
  useEffect(() => () => unmap.current?.(), []);

  const sensor = useSensor(KeyboardSensor, {
    keyboardCodes: { start: ["Space"], cancel: ["Escape"], end: ["Space", "Enter"] },
    coordinateGetter: (event, args) => {
      const at = nextTargetCoordinates(event, args, order.current);
      if (at) moved.current = true;
      return at;
    },
  });

  const collision: CollisionDetection = useCallback((args) => {
    if (byKeyboard.current) return moved.current ? closestCenter(args) : [];
    return pointerWithin(args);
  }, []);

  /** Call on every drag start: remembers whether this drag is a keyboard one. */
  const start = useCallback((e: DragStartEvent) => {
    byKeyboard.current = e.activatorEvent instanceof KeyboardEvent;
    moved.current = false;
    unmap.current?.();
    unmap.current = byKeyboard.current ? remapDragKeys() : null;
  }, []);

  /** Whether the current (or just ended) drag was started with the keyboard. */
  const isKeyboardDrag = useCallback(() => byKeyboard.current, []);

  return { sensor, collision, start, isKeyboardDrag };
}
