"use client";

import { useEffect, useRef } from "react";

/** True while the user types, a modal is open or a card is being dragged: single-key shortcuts stay quiet. */
function shouldIgnore(e: KeyboardEvent): boolean {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return true;
  const t = e.target as HTMLElement | null;
  if (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName))) return true;
  if (document.querySelector("dialog[open]")) return true;
  if (document.body.dataset.dragging === "true") return true;
  return false;
}

/**
 * Single-key shortcuts (`c`, `j`, `?`…) for as long as the component is mounted. Keys are matched on
 * `event.key`, so `?` works on every keyboard layout.
 */
export function useHotkeys(map: Record<string, (e: KeyboardEvent) => void>): void {
  const ref = useRef(map);
  useEffect(() => {
    ref.current = map;
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (shouldIgnore(e)) return;
      const fn = ref.current[e.key];
      if (!fn) return;
      e.preventDefault();
      fn(e);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}

/** Every shortcut, for the help dialog. */
export const SHORTCUTS: { keys: string[]; what: string; group: string }[] = [
  { group: "Anywhere", keys: ["c"], what: "Create a task" },
  { group: "Anywhere", keys: ["a"], what: "Spawn an agent" },
  { group: "Anywhere", keys: ["?"], what: "Show this help" },
  { group: "Anywhere", keys: ["g", "b"], what: "Go to the board" },
  { group: "Anywhere", keys: ["g", "o"], what: "Go to the overview" },
  { group: "Anywhere", keys: ["g", "m"], what: "Go to messages" },
  { group: "Anywhere", keys: ["g", "q"], what: "Go to the queues" },
  { group: "Board", keys: ["j"], what: "Next card" },
  { group: "Board", keys: ["k"], what: "Previous card" },
  { group: "Board", keys: ["h"], what: "Previous column" },
  { group: "Board", keys: ["l"], what: "Next column" },
  { group: "Board", keys: ["Enter"], what: "Open the focused card" },
  { group: "Board", keys: ["m"], what: "Move or assign the focused card (a menu)" },
  { group: "Board", keys: ["/"], what: "Search" },
  { group: "Board", keys: ["Esc"], what: "Leave the search box (back to j/k)" },
  { group: "Drag with the keyboard", keys: ["Space"], what: "Pick up the focused card / drop it" },
  { group: "Drag with the keyboard", keys: ["↑", "↓", "←", "→"], what: "Choose a target (agents, Backlog, Cancelled)" },
  { group: "Drag with the keyboard", keys: ["Tab"], what: "Next target (Shift+Tab: previous)" },
  { group: "Drag with the keyboard", keys: ["Esc"], what: "Cancel the drag" },
];
