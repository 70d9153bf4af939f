"use client";

import { useDroppable } from "@dnd-kit/core";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";

import { agentTakesWork } from "@tinytown/core/schema";

import { dropId } from "./drop-targets";
import { shortId } from "../../lib/format";
import { AgentActions } from "../agent-actions";
import { useShell } from "../app-shell";
import { AgentStateDot, ModelBadge } from "../ui/badges";
import type { Density } from "./density";
import type { AgentRow } from "./types";

interface RailProps {
  agents: AgentRow[];
  loading: boolean;
  simulated: Set<string>;
  /** Description of each agent's current task, when loaded. */
  currentTask: (taskId: string) => string | null;
  /** While a card is dragged: the agent names it may be dropped on. null = nothing is dragged. */
  accepting: Set<string> | null;
  /** Whether the viewer may spawn (an admin) and can now (live). */
  showSpawn: boolean;
  canSpawn: boolean;
  density: Density;
  onSpawn: () => void;
}

/** The town's agents as drop targets: a side rail on wide screens, a horizontal strip on phones. */
export function AgentRail(props: RailProps) {
  return (
    <aside
      aria-label="Agents"
      className="flex shrink-0 flex-col border-b border-zinc-200 md:w-64 md:border-r md:border-b-0 dark:border-zinc-800"
      data-testid="agent-rail"
    >
      <div className="flex h-10 shrink-0 items-center gap-2 px-3">
        <h2 className="text-[13px] font-semibold">Agents</h2>
        <span className="text-xs text-zinc-600 tabular-nums dark:text-zinc-400">{props.agents.length}</span>
        {props.showSpawn ? (
          <button
            type="button"
            className="btn btn-sm ml-auto"
            onClick={props.onSpawn}
            disabled={!props.canSpawn}
            data-testid="spawn-open"
            title={props.canSpawn ? "Spawn an agent (a)" : "Offline: changes are paused"}
          >
            + Spawn
          </button>
        ) : null}
      </div>
      <ul
        className={`scroll-thin flex min-h-0 flex-1 overflow-x-auto px-3 pb-3 md:flex-col md:overflow-x-visible md:overflow-y-auto ${props.density === "compact" ? "gap-1" : "gap-1.5"}`}
      >
        {props.agents.map((a) => (
          <AgentTarget
            key={a.id}
            agent={a}
            simulated={props.simulated.has(a.model)}
            currentTask={a.currentTask ? props.currentTask(a.currentTask) : null}
            accepts={props.accepting === null ? null : props.accepting.has(a.name)}
            compact={props.density === "compact"}
          />
        ))}
        {props.agents.length === 0 && !props.loading ? (
          <li className="w-full rounded-lg border border-dashed border-zinc-300 p-3 text-xs text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">
            No agents yet. Spawn one (the <span className="font-mono">sim</span> model needs no AI CLI), then drag a
            task onto it.
          </li>
        ) : null}
      </ul>
    </aside>
  );
}

function AgentTarget(props: {
  agent: AgentRow;
  simulated: boolean;
  currentTask: string | null;
  accepts: boolean | null;
  compact: boolean;
}) {
  const a = props.agent;
  const admin = useShell().may("agent.manage");
  const { setNodeRef, isOver } = useDroppable({
    id: dropId.agent(a.name),
    disabled: props.accepts !== true,
    data: { agent: a },
  });
  const [menu, setMenu] = useState(false);
  const menuRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!menu) return;
    const onDown = (e: MouseEvent) => {
      if (!menuRef.current?.contains(e.target as Node)) setMenu(false);
    };
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setMenu(false);
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [menu]);

  return (
    <li
      ref={setNodeRef}
      data-testid={`agent-${a.name}`}
      data-state={a.state}
      data-drop-target={props.accepts === true ? "valid" : undefined}
      data-over={props.accepts === true && isOver ? "true" : undefined}
      data-takes-work={agentTakesWork(a.state)}
      className={`relative w-56 shrink-0 rounded-lg border transition-colors md:w-auto ${props.compact ? "px-2.5 py-1.5" : "px-2.5 py-2"} ${
        props.accepts === true && isOver
          ? "border-indigo-500 bg-indigo-50 ring-2 ring-indigo-500/30 dark:bg-indigo-950/40"
          : props.accepts === true
            ? "border-dashed border-indigo-300 bg-white dark:border-indigo-700 dark:bg-zinc-900"
            : "border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900"
      } ${props.accepts === false ? "opacity-40 grayscale" : ""}`}
    >
      <div className="flex items-center gap-2">
        <AgentStateDot state={a.state} />
        <Link
          href={`/agents/${encodeURIComponent(a.name)}`}
          className="min-w-0 truncate font-mono text-[13px] font-medium hover:underline"
        >
          {a.name}
        </Link>
        <span className="shrink-0 text-[11px] text-zinc-600 dark:text-zinc-400" data-testid="agent-state">
          {a.state}
        </span>
        {admin ? (
          <div className="relative ml-auto" ref={menuRef}>
            <button
              type="button"
              className="icon-btn size-6"
              aria-label={`Actions for ${a.name}`}
              aria-expanded={menu}
              onClick={() => setMenu((m) => !m)}
            >
              <svg viewBox="0 0 16 16" className="size-4" aria-hidden>
                <circle cx="3.5" cy="8" r="1.3" fill="currentColor" />
                <circle cx="8" cy="8" r="1.3" fill="currentColor" />
                <circle cx="12.5" cy="8" r="1.3" fill="currentColor" />
              </svg>
            </button>
            {menu ? (
              <div className="absolute top-7 right-0 z-30 w-52 rounded-lg border border-zinc-200 bg-white p-2 shadow-lg dark:border-zinc-700 dark:bg-zinc-900">
                <AgentActions agent={a} compact onDone={() => setMenu(false)} />
              </div>
            ) : null}
          </div>
        ) : null}
      </div>
      {props.compact ? null : (
        <div className="mt-1 flex items-center gap-1.5">
          <ModelBadge model={a.model} simulated={props.simulated} />
          <span
            className="ml-auto text-[11px] text-zinc-600 tabular-nums dark:text-zinc-400"
            title={`${a.tasksCompleted} completed, ${a.tasksFailed} failed`}
          >
            ✓{a.tasksCompleted} · ✕{a.tasksFailed}
          </span>
        </div>
      )}
      <div className={`flex items-center gap-2 ${props.compact ? "mt-0.5" : "mt-1"}`}>
        <p className="min-w-0 flex-1 truncate text-xs text-zinc-600 dark:text-zinc-400" data-testid="agent-current">
          {a.currentTask ? (
            <Link href={`/tasks/${a.currentTask}`} className="hover:underline">
              <span className="text-amber-600 dark:text-amber-400">▶</span>{" "}
              {props.currentTask ?? shortId(a.currentTask)}
            </Link>
          ) : a.state === "error" && a.error ? (
            <span className="text-red-600 dark:text-red-400" title={a.error}>
              {a.error}
            </span>
          ) : (
            <span className="text-zinc-600 dark:text-zinc-400">
              {a.state === "starting"
                ? "waiting for a runner…"
                : agentTakesWork(a.state)
                  ? "no current task"
                  : a.state === "draining"
                    ? "closing: takes no new work"
                    : "takes no work until restarted"}
            </span>
          )}
        </p>
        {props.compact ? (
          <span
            className="shrink-0 text-[11px] text-zinc-600 tabular-nums dark:text-zinc-400"
            title={`${a.tasksCompleted} completed, ${a.tasksFailed} failed`}
          >
            ✓{a.tasksCompleted} · ✕{a.tasksFailed}
          </span>
        ) : null}
      </div>
    </li>
  );
}
