"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useRef, useState, type KeyboardEvent } from "react";

import type { ActivityEntry } from "@tinytown/core/schema";

import { useTRPC } from "../../trpc/react";
import { LogView } from "../log-view";
import { TaskUsage } from "../usage/task-usage";
import { ActivityTimeline } from "./activity-timeline";

const TABS = [
  { id: "activity", label: "Activity" },
  { id: "raw", label: "Raw output" },
] as const;
type Tab = (typeof TABS)[number]["id"];

/** How often, at most, the cost panel refetches while usage streams in. */
const USAGE_REFRESH_MS = 1_000;

/**
 * The task page's record of its runs: what they cost (tokens, cost per run, budget), the live Activity timeline,
 * and the raw output log one click away (a tab). Both tabs stay mounted (their streams and scroll positions survive
 * switching).
 */
export function TaskActivity(props: { taskId: string; state: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  // Until someone picks a tab: the timeline once the run speaks a structured protocol, else the plain output (models
  // that print lines have nothing else to show).
  const [chosen, setTab] = useState<Tab | null>(null);
  const [structured, setStructured] = useState(false);
  const tab: Tab = chosen ?? (structured ? "activity" : "raw");
  const [runIds, setRunIds] = useState<string[]>([]);
  const refresh = useRef<ReturnType<typeof setTimeout> | null>(null);
  const tabRefs = useRef<Partial<Record<Tab, HTMLButtonElement | null>>>({});

  const onEntries = useCallback(
    (entries: ActivityEntry[]) => {
      if (entries.some((e) => e.kind !== "raw")) setStructured(true);
      setRunIds((prev) => {
        const fresh = [...new Set(entries.map((e) => e.run))].filter((r) => r && !prev.includes(r));
        return fresh.length > 0 ? [...prev, ...fresh] : prev;
      });
      // Cost moves with usage and cost events: refresh the panel (at most once a second), not on a timer.
      if (entries.some((e) => e.kind === "usage" || e.kind === "cost"))
        refresh.current ??= setTimeout(() => {
          refresh.current = null;
          void qc.invalidateQueries(trpc.usage.task.queryFilter({ taskId: props.taskId }));
          void qc.invalidateQueries(trpc.usage.runs.pathFilter());
        }, USAGE_REFRESH_MS);
    },
    [qc, trpc, props.taskId],
  );

  const onKey = (e: KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === tab);
    const next = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : null;
    if (next === null) return;
    e.preventDefault();
    const t = TABS[(next + TABS.length) % TABS.length]!.id;
    setTab(t);
    tabRefs.current[t]?.focus();
  };

  return (
    <div className="grid min-w-0 gap-3">
      <TaskUsage taskId={props.taskId} runIds={runIds} />
      <div className="min-w-0">
        <div role="tablist" aria-label="Run record" className="mb-2 flex gap-1" onKeyDown={onKey}>
          {TABS.map((t) => (
            <button
              key={t.id}
              ref={(el) => {
                tabRefs.current[t.id] = el;
              }}
              type="button"
              role="tab"
              id={`run-tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`run-panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              onClick={() => setTab(t.id)}
              data-testid={`run-tab-${t.id}`}
              className={`rounded-md px-2.5 py-1 text-sm font-medium ${
                tab === t.id
                  ? "bg-zinc-900 text-white dark:bg-zinc-100 dark:text-zinc-900"
                  : "text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
              }`}
            >
              {t.label}
            </button>
          ))}
        </div>
        <div role="tabpanel" id="run-panel-activity" aria-labelledby="run-tab-activity" hidden={tab !== "activity"}>
          <ActivityTimeline taskId={props.taskId} state={props.state} onEntries={onEntries} />
        </div>
        <div role="tabpanel" id="run-panel-raw" aria-labelledby="run-tab-raw" hidden={tab !== "raw"}>
          <LogView taskId={props.taskId} state={props.state} />
        </div>
      </div>
    </div>
  );
}
