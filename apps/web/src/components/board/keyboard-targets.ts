import type { KeyboardCoordinateGetter, Translate } from "@dnd-kit/core";

/** Synthetic key codes for "next/previous drop target" (see {@link remapDragKeys}). */
const NEXT = "TtNextTarget";
const PREV = "TtPrevTarget";

/**
 * While a card is dragged with the keyboard, arrows and Tab jump between drop targets instead of nudging the
 * card pixel by pixel. dnd-kit's KeyboardSensor scrolls the card's own (virtualised) column when it sees an arrow
 * key, so arrows and Tab are re-dispatched as synthetic NEXT/PREV codes that only our coordinate getter knows.
 * Returns the listener to remove.
 */
export function remapDragKeys(): () => void {
  const onKey = (e: KeyboardEvent) => {
    if (e.code === NEXT || e.code === PREV) return;
    let code: string | null = null;
    if (e.key === "ArrowDown" || e.key === "ArrowRight" || (e.key === "Tab" && !e.shiftKey)) code = NEXT;
    if (e.key === "ArrowUp" || e.key === "ArrowLeft" || (e.key === "Tab" && e.shiftKey)) code = PREV;
    if (!code) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    document.dispatchEvent(new KeyboardEvent("keydown", { code, key: code, bubbles: true, cancelable: true }));
  };
  window.addEventListener("keydown", onKey, { capture: true });
  return () => window.removeEventListener("keydown", onKey, { capture: true });
}

/**
 * For a NEXT/PREV key: the coordinates that put the dragged card's centre onto the next/previous target in `order`
 * (droppable ids, in reading order), so collision detection (closest centre) lands exactly on it. Undefined for any
 * other key (dnd-kit then handles it as usual).
 */
export function nextTargetCoordinates(
  event: KeyboardEvent,
  { context }: Parameters<KeyboardCoordinateGetter>[1],
  order: readonly string[],
): Translate | undefined {
  if (event.code !== NEXT && event.code !== PREV) return undefined;
  event.preventDefault();
  const ids = order.filter((id) => context.droppableRects.has(id));
  const rect = context.collisionRect;
  if (ids.length === 0 || !rect) return undefined;
  const current = context.over ? ids.indexOf(String(context.over.id)) : -1;
  const step = event.code === NEXT ? 1 : -1;
  const index = current === -1 ? (step === 1 ? 0 : ids.length - 1) : (current + step + ids.length) % ids.length;
  const target = context.droppableRects.get(ids[index]!)!;
  return {
    x: target.left + target.width / 2 - rect.width / 2,
    y: target.top + target.height / 2 - rect.height / 2,
  };
}
