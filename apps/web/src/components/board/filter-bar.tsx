"use client";

import type { RefObject } from "react";

import { PRIORITIES, TASK_STATES } from "../../lib/domain";

import { isFiltering, NO_FILTERS, type AgentRow, type Filters } from "./types";

/** Search and filters over the loaded cards, and the "New task" button. */
export function FilterBar(props: {
  filters: Filters;
  onChange: (f: Filters) => void;
  agents: AgentRow[];
  tags: string[];
  searchRef: RefObject<HTMLInputElement | null>;
  onCreate: () => void;
}) {
  const f = props.filters;
  const set = (patch: Partial<Filters>) => props.onChange({ ...f, ...patch });
  const select = "input h-7 w-auto min-w-0 shrink-0 pr-7 text-xs";
  return (
    <div className="flex shrink-0 flex-wrap items-center gap-2 px-3 py-2 md:px-4" role="search" data-testid="filters">
      <div className="relative min-w-0 flex-1 sm:w-56 sm:flex-none">
        <svg
          viewBox="0 0 16 16"
          className="pointer-events-none absolute top-1/2 left-2 size-3.5 -translate-y-1/2 text-zinc-400"
          aria-hidden
        >
          <circle cx="7" cy="7" r="4.5" stroke="currentColor" strokeWidth="1.5" fill="none" />
          <path d="M10.5 10.5L14 14" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
        </svg>
        <input
          ref={props.searchRef}
          type="search"
          className="input h-7 pl-7 text-xs"
          placeholder="Search tasks"
          aria-label="Search tasks"
          data-testid="search"
          value={f.text}
          onChange={(e) => set({ text: e.target.value })}
          onKeyDown={(e) => {
            // Escape hands the keyboard back to the board (j/k), keeping the search; Clear resets it.
            if (e.key === "Escape") e.currentTarget.blur();
          }}
        />
        <kbd className="kbd pointer-events-none absolute top-1/2 right-1.5 hidden -translate-y-1/2 sm:inline-flex">
          /
        </kbd>
      </div>
      <div className="scroll-thin order-last flex w-full gap-2 overflow-x-auto sm:order-none sm:w-auto">
        <select
          className={select}
          aria-label="Filter by agent"
          data-testid="filter-agent"
          value={f.agent}
          onChange={(e) => set({ agent: e.target.value })}
        >
          <option value="">All agents</option>
          <option value="-">Unassigned</option>
          {props.agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
        <select
          className={select}
          aria-label="Filter by state"
          data-testid="filter-state"
          value={f.state}
          onChange={(e) => set({ state: e.target.value })}
        >
          <option value="">All states</option>
          {TASK_STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <select
          className={select}
          aria-label="Filter by priority"
          data-testid="filter-priority"
          value={f.priority}
          onChange={(e) => set({ priority: e.target.value })}
        >
          <option value="">All priorities</option>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <select
          className={select}
          aria-label="Filter by tag"
          data-testid="filter-tag"
          value={f.tag}
          onChange={(e) => set({ tag: e.target.value })}
        >
          <option value="">All tags</option>
          {props.tags.map((t) => (
            <option key={t} value={t}>
              #{t}
            </option>
          ))}
        </select>
      </div>
      {isFiltering(f) ? (
        <button
          type="button"
          className="btn btn-sm shrink-0"
          onClick={() => props.onChange(NO_FILTERS)}
          data-testid="filters-clear"
        >
          Clear
        </button>
      ) : null}
      <button
        type="button"
        className="btn btn-primary btn-sm shrink-0 sm:ml-auto"
        onClick={props.onCreate}
        data-testid="create-open"
        title="New task (c)"
      >
        + New task <kbd className="hidden rounded border border-white/30 px-1 font-mono text-[10px] sm:inline">C</kbd>
      </button>
    </div>
  );
}
