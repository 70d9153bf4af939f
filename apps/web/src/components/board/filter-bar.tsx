"use client";

import type { RefObject } from "react";

import { PRIORITIES, TASK_STATES } from "@tinytown/core/schema";

import type { Density } from "./density";
import { isFiltering, NO_FILTERS, type AgentRow, type Filters } from "./types";

/** Search and filters over the loaded cards, the density switch, and "New task" (when the viewer may create). */
export function FilterBar({
  filters: f,
  onChange,
  agents,
  tags,
  searchRef,
  onCreate,
  canCreate,
  density,
  onDensity,
}: {
  filters: Filters;
  onChange: (f: Filters) => void;
  agents: AgentRow[];
  tags: string[];
  searchRef: RefObject<HTMLInputElement | null>;
  /** null: the viewer may not create tasks (the button is not shown). */
  onCreate: (() => void) | null;
  /** False while offline: the button shows, disabled. */
  canCreate: boolean;
  density: Density;
  onDensity: (d: Density) => void;
}) {
  const set = (patch: Partial<Filters>) => onChange({ ...f, ...patch });
  return (
    <div className="flex shrink-0 flex-wrap items-center gap-2 px-3 py-2 md:px-4" role="search" data-testid="filters">
      <div className="relative min-w-0 flex-1 sm:w-56 sm:flex-none">
        <svg
          viewBox="0 0 16 16"
          className="pointer-events-none absolute top-1/2 left-2 size-3.5 -translate-y-1/2 text-zinc-500 dark:text-zinc-400"
          aria-hidden
        >
          <circle cx="7" cy="7" r="4.5" stroke="currentColor" strokeWidth="1.5" fill="none" />
          <path d="M10.5 10.5L14 14" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
        </svg>
        <input
          ref={searchRef}
          type="search"
          className="input h-7 pl-7 text-xs"
          placeholder="Search tasks"
          aria-label="Search tasks"
          data-testid="search"
          value={f.text}
          onChange={(e) => set({ text: e.target.value })}
          onKeyDown={(e) => {
            // Escape hands the keyboard back to the board (j/k), keeping the search; Clear resets it.
            // (A search input clears itself on Escape unless told not to.)
            if (e.key === "Escape") {
              e.preventDefault();
              e.currentTarget.blur();
            }
          }}
        />
        <kbd className="kbd pointer-events-none absolute top-1/2 right-1.5 hidden -translate-y-1/2 sm:inline-flex">
          /
        </kbd>
      </div>
      <div className="scroll-thin order-last flex w-full gap-2 overflow-x-auto sm:order-none sm:w-auto">
        <FilterSelect
          name="agent"
          all="All agents"
          value={f.agent}
          onChange={set}
          options={[["-", "Unassigned"], ...agents.map((a): Option => [a.id, a.name])]}
        />
        <FilterSelect
          name="state"
          all="All states"
          value={f.state}
          onChange={set}
          options={TASK_STATES.map((s): Option => [s, s])}
        />
        <FilterSelect
          name="priority"
          all="All priorities"
          value={f.priority}
          onChange={set}
          options={PRIORITIES.map((p): Option => [p, p])}
        />
        <FilterSelect
          name="tag"
          all="All tags"
          value={f.tag}
          onChange={set}
          options={tags.map((t): Option => [t, `#${t}`])}
        />
      </div>
      {isFiltering(f) ? (
        <button
          type="button"
          className="btn btn-sm shrink-0"
          onClick={() => onChange(NO_FILTERS)}
          data-testid="filters-clear"
        >
          Clear
        </button>
      ) : null}
      <button
        type="button"
        className="btn btn-sm shrink-0 aria-pressed:border-indigo-400 aria-pressed:bg-indigo-50 aria-pressed:text-indigo-800 sm:ml-auto dark:aria-pressed:border-indigo-500 dark:aria-pressed:bg-indigo-950 dark:aria-pressed:text-indigo-200"
        aria-pressed={density === "compact"}
        onClick={() => onDensity(density === "compact" ? "comfortable" : "compact")}
        title="Smaller cards: more of them on the screen"
        data-testid="density"
      >
        Compact
      </button>
      {onCreate ? (
        <button
          type="button"
          className="btn btn-primary btn-sm shrink-0"
          onClick={onCreate}
          disabled={!canCreate}
          data-testid="create-open"
          title={canCreate ? "New task (c)" : "Offline: changes are paused"}
        >
          + New task <kbd className="hidden rounded border border-white/30 px-1 font-mono text-[10px] sm:inline">C</kbd>
        </button>
      ) : null}
    </div>
  );
}

/** A value and its label. */
type Option = [value: string, label: string];

/** One filter: "All …" (no filter) and the options, labelled "Filter by <name>". */
function FilterSelect(props: {
  name: "agent" | "state" | "priority" | "tag";
  all: string;
  value: string;
  onChange: (patch: Partial<Filters>) => void;
  options: Option[];
}) {
  return (
    <select
      className="input h-7 w-auto min-w-0 shrink-0 pr-7 text-xs"
      aria-label={`Filter by ${props.name}`}
      data-testid={`filter-${props.name}`}
      value={props.value}
      onChange={(e) => props.onChange({ [props.name]: e.target.value })}
    >
      <option value="">{props.all}</option>
      {props.options.map(([value, label]) => (
        <option key={value} value={value}>
          {label}
        </option>
      ))}
    </select>
  );
}
