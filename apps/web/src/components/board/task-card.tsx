"use client";

import { useDraggable } from "@dnd-kit/core";
import { memo } from "react";

import { useClock } from "../../lib/clock";
import { duration, elapsed, shortId } from "../../lib/format";
import { PriorityIcon } from "../ui/badges";
import { CardCost } from "./card-costs";
import { RelativeTime } from "../ui/time";
import { ChangeStats } from "./change-stats";
import type { Density } from "./density";
import type { TaskCard } from "./types";

/** Height of a card in the virtualised columns, per density, plus the gap below it. */
export const CARD_HEIGHT: Record<Density, number> = { comfortable: 96, compact: 52 };
export const CARD_GAP = 6;

interface CardProps {
  card: TaskCard;
  agentName: string | null;
  density: Density;
  /** The last output line of a running task, when known. */
  tail: string | null;
  tabbable: boolean;
  pending: boolean;
  /** Whether the viewer may move it now (role, and the board is live). */
  movable: boolean;
  onOpen: (id: string) => void;
  onFocusCard: (id: string) => void;
  onMenu: (card: TaskCard, anchor: HTMLElement) => void;
}

/**
 * Draggable task card, and beside it (not inside: a button may not hold a button) its "Move…" menu button. Keyed by
 * task id and memoised: moving a card elsewhere never remounts the others.
 */
export const DraggableCard = memo(function DraggableCard(props: CardProps) {
  const { card } = props;
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({
    id: card.id,
    data: { card },
    disabled: !props.movable,
  });
  return (
    <div className="group/card relative h-full">
      <div
        ref={setNodeRef}
        {...attributes}
        {...listeners}
        // Roving tab index: one card per column is in the tab order; j/k move between the rest.
        tabIndex={props.tabbable ? 0 : -1}
        aria-roledescription={props.movable ? "draggable task" : "task"}
        data-testid={`card-${card.id}`}
        data-task-id={card.id}
        data-state={card.state}
        data-version={card.version}
        onKeyDown={(e) => {
          listeners?.onKeyDown?.(e);
          if (e.defaultPrevented) return;
          if (e.key === "Enter") props.onOpen(card.id);
          if (e.key === "m" && props.movable) {
            e.preventDefault();
            props.onMenu(card, e.currentTarget);
          }
        }}
        onClick={() => props.onOpen(card.id)}
        onFocus={() => props.onFocusCard(card.id)}
        onContextMenu={(e) => {
          // A long press on a phone opens the browser's menu otherwise.
          if (props.movable) e.preventDefault();
        }}
        className={`group h-full touch-manipulation rounded-lg outline-none select-none [-webkit-touch-callout:none] focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2 focus-visible:ring-offset-zinc-50 dark:focus-visible:ring-offset-zinc-950 ${
          isDragging ? "opacity-40" : ""
        }`}
      >
        <CardBody
          card={card}
          agentName={props.agentName}
          density={props.density}
          tail={props.tail}
          pending={props.pending}
        />
      </div>
      {props.movable ? (
        <button
          type="button"
          tabIndex={props.tabbable ? 0 : -1}
          className="icon-btn absolute top-1 right-1 size-7 bg-white/90 pointer-fine:opacity-0 pointer-fine:group-hover/card:opacity-100 focus-visible:opacity-100 dark:bg-zinc-900/90"
          aria-label={`Move task ${shortId(card.id)}`}
          aria-haspopup="menu"
          title="Move or assign (m)"
          data-testid={`card-menu-${card.id}`}
          onClick={(e) => props.onMenu(card, e.currentTarget)}
        >
          <svg viewBox="0 0 16 16" className="size-4" aria-hidden>
            <circle cx="3.5" cy="8" r="1.3" fill="currentColor" />
            <circle cx="8" cy="8" r="1.3" fill="currentColor" />
            <circle cx="12.5" cy="8" r="1.3" fill="currentColor" />
          </svg>
        </button>
      ) : null}
    </div>
  );
});

/** What a card shows; also used (lifted) by the drag overlay. */
export function CardBody(props: {
  card: TaskCard;
  agentName: string | null;
  density: Density;
  tail?: string | null;
  pending?: boolean;
  lifted?: boolean;
}) {
  const { card, density } = props;
  const compact = density === "compact";
  return (
    <div
      className={`flex h-full cursor-grab flex-col overflow-hidden rounded-lg border bg-white text-left transition-shadow active:cursor-grabbing dark:bg-zinc-900 ${
        compact ? "gap-0.5 px-2.5 py-1.5" : "gap-1 px-3 py-2"
      } ${
        props.lifted
          ? "border-indigo-400 shadow-xl ring-1 ring-indigo-400/40 dark:border-indigo-500"
          : `shadow-xs group-hover:border-zinc-300 dark:group-hover:border-zinc-600 ${STATE_BORDER[card.state] ?? "border-zinc-200 dark:border-zinc-800"}`
      } ${props.pending ? "animate-pulse" : ""}`}
    >
      <p className="flex min-w-0 items-start gap-1.5 pr-6">
        <span className="mt-0.5 shrink-0">
          <PriorityIcon priority={card.priority} />
        </span>
        <span className="sr-only">{card.state} task: </span>
        <span
          className={`min-w-0 text-[13px] leading-[18px] font-medium break-words text-zinc-900 dark:text-zinc-50 ${compact ? "truncate" : "line-clamp-2"}`}
        >
          {card.description}
        </span>
      </p>
      <CardStatus card={card} tail={props.tail ?? null} />
      {compact ? null : (
        <div className="mt-auto flex min-w-0 items-center gap-1.5 text-[11px] text-zinc-600 dark:text-zinc-400">
          {/* A card with an agent names the agent instead of its short id (the id is on the task page). */}
          {props.agentName ? null : <span className="shrink-0 font-mono">{shortId(card.id)}</span>}
          {card.attempts > 1 ? <span className="shrink-0 whitespace-nowrap">· try {card.attempts}</span> : null}
          <CardCost taskId={card.id} />
          <ChangeStats card={card} />
          {props.agentName ? <AgentName name={props.agentName} /> : null}
          {/* Tags that do not fit wrap out of sight, whole, rather than being squeezed into slivers. */}
          <span className="flex h-5 min-w-0 flex-1 flex-wrap justify-end gap-1 overflow-hidden">
            {/* Keeps a tag too wide for what is left from being first on the visible line (it wraps out of sight). */}
            <span aria-hidden className="h-5 w-0" />
            {card.tags.slice(0, 4).map((t) => (
              <span
                key={t}
                data-testid="card-tag"
                className="badge bg-zinc-100 font-normal text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300"
              >
                #{t}
              </span>
            ))}
          </span>
        </div>
      )}
    </div>
  );
}

const STATE_BORDER: Partial<Record<TaskCard["state"], string>> = {
  running: "border-amber-300 dark:border-amber-800",
  failed: "border-red-300 dark:border-red-900",
};

function AgentName(props: { name: string }) {
  return (
    <span
      className="flex min-w-0 shrink items-center gap-1 font-medium text-zinc-700 dark:text-zinc-300"
      title={`agent ${props.name}`}
    >
      <svg viewBox="0 0 12 12" className="size-3 shrink-0" aria-hidden>
        <circle cx="6" cy="4" r="2.2" fill="currentColor" />
        <path d="M1.8 11c.5-2.3 2.2-3.6 4.2-3.6s3.7 1.3 4.2 3.6" fill="currentColor" />
      </svg>
      <span className="truncate">{props.name}</span>
    </span>
  );
}

/**
 * One line of what is going on: a running card's clock and last output line, a done card's run time and result, a
 * failed card's reason, otherwise when it last changed.
 */
function CardStatus(props: { card: TaskCard; tail: string | null }) {
  const { card } = props;
  const base = "flex min-w-0 items-center gap-1.5 text-[11px] leading-4";
  if (card.state === "running" && card.startedAt) {
    return (
      <p className={`${base} text-amber-800 dark:text-amber-300`} data-testid="card-status">
        <RunningClock startedAt={card.startedAt} />
        <span className="truncate font-mono text-zinc-600 dark:text-zinc-400" data-testid="card-tail">
          {props.tail ?? "starting…"}
        </span>
      </p>
    );
  }
  if (card.state === "completed") {
    return (
      <p className={`${base} text-zinc-600 dark:text-zinc-400`} data-testid="card-status">
        <span className="shrink-0 font-medium whitespace-nowrap text-emerald-700 dark:text-emerald-400">
          ✓ {card.startedAt && card.completedAt ? duration(card.completedAt - card.startedAt) : "done"}
        </span>
        <span className="truncate">{card.result ?? ""}</span>
      </p>
    );
  }
  if (card.state === "failed") {
    return (
      <p className={`${base} text-red-700 dark:text-red-300`} data-testid="card-status" title={card.error ?? undefined}>
        <span className="shrink-0 font-medium whitespace-nowrap">✕ failed</span>
        <span className="truncate">{card.error?.split("\n")[0] ?? "no reason given"}</span>
      </p>
    );
  }
  if (card.state === "assigned" && card.waitingFor) {
    // Parked on a question: nothing runs until someone answers it in "Needs you".
    return (
      <p className={`${base} text-violet-800 dark:text-violet-300`} data-testid="card-status">
        <span className="shrink-0 font-medium whitespace-nowrap">? waiting for a human</span>
        <RelativeTime at={card.updatedAt} />
      </p>
    );
  }
  return (
    <p className={`${base} text-zinc-600 dark:text-zinc-400`} data-testid="card-status">
      <span className="whitespace-nowrap">
        {card.state === "cancelled" ? "cancelled" : card.state === "assigned" ? "assigned" : "created"}{" "}
        <RelativeTime at={card.state === "pending" ? card.createdAt : card.updatedAt} />
      </span>
    </p>
  );
}

function RunningClock(props: { startedAt: number }) {
  const now = useClock();
  return (
    <span className="shrink-0 font-medium whitespace-nowrap tabular-nums" title="running for">
      ▶ {elapsed(now - props.startedAt)}
    </span>
  );
}
