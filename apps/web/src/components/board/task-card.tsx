"use client";

import { useDraggable } from "@dnd-kit/core";
import { memo } from "react";

import { shortId } from "../../lib/format";
import { PriorityIcon, Tag } from "../ui/badges";
import type { TaskCard } from "./types";

/** Height of a card in the virtualised columns, plus the gap below it. */
export const CARD_HEIGHT = 108;
export const CARD_GAP = 6;

interface CardProps {
  card: TaskCard;
  agentName: string | null;
  tabbable: boolean;
  pending: boolean;
  onOpen: (id: string) => void;
  onFocusCard: (id: string) => void;
}

/** Draggable task card. Keyed by task id and memoised: moving a card elsewhere never remounts the others. */
export const DraggableCard = memo(function DraggableCard(props: CardProps) {
  const { card } = props;
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({ id: card.id, data: { card } });
  return (
    <div
      ref={setNodeRef}
      {...attributes}
      {...listeners}
      // Roving tab index: one card per column is in the tab order; j/k move between the rest.
      tabIndex={props.tabbable ? 0 : -1}
      aria-roledescription="draggable task"
      aria-label={`${card.state} task, ${card.priority} priority${props.agentName ? `, agent ${props.agentName}` : ""}: ${card.description.slice(0, 120)}`}
      data-testid={`card-${card.id}`}
      data-task-id={card.id}
      data-state={card.state}
      data-version={card.version}
      onKeyDown={(e) => {
        listeners?.onKeyDown?.(e);
        if (e.key === "Enter" && !e.defaultPrevented) props.onOpen(card.id);
      }}
      onClick={() => props.onOpen(card.id)}
      onFocus={() => props.onFocusCard(card.id)}
      className={`group h-full touch-manipulation rounded-lg outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2 focus-visible:ring-offset-zinc-50 dark:focus-visible:ring-offset-zinc-950 ${
        isDragging ? "opacity-40" : ""
      }`}
    >
      <CardBody card={card} agentName={props.agentName} pending={props.pending} />
    </div>
  );
});

/** What a card shows; also used by the drag overlay. */
export function CardBody(props: { card: TaskCard; agentName: string | null; pending?: boolean; lifted?: boolean }) {
  const { card } = props;
  return (
    <div
      className={`flex h-full cursor-grab flex-col gap-1.5 overflow-hidden rounded-lg border bg-white px-3 py-2.5 text-left transition-shadow active:cursor-grabbing dark:bg-zinc-900 ${
        props.lifted
          ? "border-indigo-400 shadow-xl ring-1 ring-indigo-400/40 dark:border-indigo-500"
          : "border-zinc-200 shadow-xs group-hover:border-zinc-300 dark:border-zinc-800 dark:group-hover:border-zinc-700"
      } ${props.pending ? "animate-pulse" : ""}`}
    >
      <div className="flex items-center gap-1.5 text-[11px] text-zinc-500 dark:text-zinc-400">
        <PriorityIcon priority={card.priority} />
        <span className="font-mono">{shortId(card.id)}</span>
        {card.attempts > 1 ? <span title="attempts">· try {card.attempts}</span> : null}
        {card.state === "cancelled" ? <span className="text-zinc-400">· cancelled</span> : null}
        {card.state === "failed" ? <span className="text-red-600 dark:text-red-400">· failed</span> : null}
        {props.agentName ? (
          <span
            className="ml-auto flex min-w-0 items-center gap-1 truncate font-medium text-zinc-600 dark:text-zinc-300"
            title={`agent ${props.agentName}`}
          >
            <svg viewBox="0 0 12 12" className="size-3 shrink-0" aria-hidden>
              <circle cx="6" cy="4" r="2.2" fill="currentColor" />
              <path d="M1.8 11c.5-2.3 2.2-3.6 4.2-3.6s3.7 1.3 4.2 3.6" fill="currentColor" />
            </svg>
            <span className="truncate">{props.agentName}</span>
          </span>
        ) : null}
      </div>
      <p className="line-clamp-2 shrink-0 text-[13px] leading-[18px] break-words text-zinc-900 dark:text-zinc-100">
        {card.description}
      </p>
      {card.tags.length > 0 ? (
        <div className="mt-auto flex gap-1 overflow-hidden">
          {card.tags.slice(0, 4).map((t) => (
            <Tag key={t} tag={t} />
          ))}
        </div>
      ) : null}
    </div>
  );
}
