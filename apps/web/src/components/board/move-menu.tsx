"use client";

import { useEffect, useLayoutEffect, useRef, useState } from "react";

import type { MoveTarget, TaskState } from "@tinytown/core/schema";

import { shortId } from "../../lib/format";
import { actionLabel } from "./drop-targets";

const WIDTH = 232;

/**
 * "Move to… / Assign to…": every move a card can make (the same targets a drag lights up), as a menu any pointer,
 * finger or keyboard reaches. Opens beside `anchor`, kept inside the viewport; arrows move, Enter picks, Escape closes
 * and gives the focus back to `anchor`.
 */
export function MoveMenu(props: {
  taskId: string;
  state: TaskState;
  targets: MoveTarget[];
  anchor: HTMLElement;
  onMove: (target: MoveTarget) => void;
  onClose: () => void;
}) {
  const { anchor, onClose } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [at, setAt] = useState<{ top: number; left: number } | null>(null);

  useLayoutEffect(() => {
    const r = anchor.getBoundingClientRect();
    const height = ref.current?.offsetHeight ?? 200;
    const left = Math.max(8, Math.min(r.right - WIDTH, window.innerWidth - WIDTH - 8));
    const below = r.bottom + 4;
    const top = below + height > window.innerHeight - 8 ? Math.max(8, r.top - height - 4) : below;
    setAt({ top, left });
  }, [anchor]);

  useEffect(() => {
    ref.current?.querySelector<HTMLElement>("[role=menuitem]")?.focus();
    const close = (refocus: boolean) => {
      onClose();
      if (refocus) anchor.focus();
    };
    const onDown = (e: PointerEvent) => {
      if (!ref.current?.contains(e.target as Node) && !anchor.contains(e.target as Node)) close(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        close(true);
      }
    };
    const onScroll = (e: Event) => {
      if (!ref.current?.contains(e.target as Node)) close(false);
    };
    document.addEventListener("pointerdown", onDown, true);
    document.addEventListener("keydown", onKey, true);
    window.addEventListener("scroll", onScroll, true);
    return () => {
      document.removeEventListener("pointerdown", onDown, true);
      document.removeEventListener("keydown", onKey, true);
      window.removeEventListener("scroll", onScroll, true);
    };
  }, [anchor, onClose]);

  const onKeyDown = (e: React.KeyboardEvent) => {
    const items = [...(ref.current?.querySelectorAll<HTMLElement>("[role=menuitem]") ?? [])];
    const i = items.indexOf(document.activeElement as HTMLElement);
    const go = (n: number) => {
      e.preventDefault();
      items[(n + items.length) % items.length]?.focus();
    };
    if (e.key === "ArrowDown") go(i + 1);
    else if (e.key === "ArrowUp") go(i - 1);
    else if (e.key === "Home") go(0);
    else if (e.key === "End") go(items.length - 1);
    else if (e.key === "Tab") {
      e.preventDefault();
      onClose();
      anchor.focus();
    }
    // Board shortcuts (j, k, c…) stay quiet while the menu is open.
    e.stopPropagation();
  };

  // Fixed, rendered where it is used (inside the page's <main>; never inside a transformed card row).
  return (
    <div
      ref={ref}
      role="menu"
      aria-label={`Move task ${shortId(props.taskId)}`}
      data-testid="move-menu"
      onKeyDown={onKeyDown}
      style={{ top: at?.top ?? -9999, left: at?.left ?? -9999, width: WIDTH }}
      className="fixed z-50 grid max-h-[60vh] overflow-y-auto rounded-lg border border-zinc-200 bg-white p-1 text-sm shadow-xl dark:border-zinc-700 dark:bg-zinc-900"
    >
      {props.targets.length === 0 ? (
        <p className="px-2.5 py-1.5 text-zinc-600 dark:text-zinc-400">Nowhere to move it now.</p>
      ) : (
        props.targets.map((t) => {
          const label = actionLabel(t, props.state);
          return (
            <button
              key={t.kind === "agent" ? `agent:${t.agent}` : t.kind}
              type="button"
              role="menuitem"
              className={`truncate rounded-md px-2.5 py-2 text-left hover:bg-zinc-100 focus:bg-zinc-100 focus:outline-none sm:py-1.5 dark:hover:bg-zinc-800 dark:focus:bg-zinc-800 ${t.kind === "cancelled" ? "text-red-700 dark:text-red-300" : ""}`}
              onClick={() => {
                props.onMove(t);
                onClose();
              }}
            >
              {label}
            </button>
          );
        })
      )}
    </div>
  );
}
