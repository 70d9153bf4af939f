import type { Announcements, ScreenReaderInstructions } from "@dnd-kit/core";
import type { TaskState } from "@tinytown/core/schema";

import { describeTarget, parseDropId } from "./drop-targets";
import type { TaskCard } from "./types";

export const SCREEN_READER_INSTRUCTIONS: ScreenReaderInstructions = {
  draggable:
    "To move a task, press Space to pick it up. Use the arrow keys or Tab to choose an agent, Backlog or Cancelled, then press Space to drop it or Escape to cancel. Press Enter to open the task.",
};

/**
 * What a screen reader hears while a card is dragged. `targetCount` counts the card's drop targets; `state` is the
 * dragged card's state (Backlog reads "Backlog (retry)" for a failed or cancelled card).
 */
export function dragAnnouncements(
  targetCount: (card: TaskCard) => number,
  state: TaskState | undefined,
): Announcements {
  const where = (id: string | number | undefined) => {
    const t = id === undefined ? null : parseDropId(String(id));
    return t ? describeTarget(t, state) : null;
  };
  return {
    onDragStart: ({ active }) => {
      const card = (active.data.current as { card: TaskCard }).card;
      const n = targetCount(card);
      return `Picked up task: ${card.description.slice(0, 80)}. ${n} target${n === 1 ? "" : "s"} available; use the arrow keys or Tab to choose one, Space to drop, Escape to cancel.`;
    },
    onDragOver: ({ over }) => {
      const t = where(over?.id);
      return t ? `Over ${t}.` : "Not over a drop target.";
    },
    onDragEnd: ({ over }) => {
      const t = where(over?.id);
      return t ? `Dropped on ${t}.` : "Dropped outside any target; nothing changed.";
    },
    onDragCancel: () => "Move cancelled; the card is back where it was.",
  };
}
