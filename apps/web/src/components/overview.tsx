"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";

import { AGENT_STATES, TASK_STATES, type TownEvent } from "@tinytown/core/schema";

import { clock, shortId } from "../lib/format";
import { useTRPC } from "../trpc/react";
import { PageError, PageSkeleton } from "./task-detail";
import { AgentStateDot, TaskStateBadge } from "./ui/badges";
import { TownUsage } from "./usage/town-usage";

/** The town at a glance: tasks and agents by state, throughput over the last hour, recent events. */
export function Overview() {
  const trpc = useTRPC();
  const q = useQuery(trpc.town.overview.queryOptions());
  if (q.isPending) return <PageSkeleton />;
  if (q.isError) return <PageError what="overview" error={q.error} />;
  const o = q.data;
  const totalTasks = TASK_STATES.reduce((n, s) => n + (o.tasks[s] ?? 0), 0);

  return (
    <div className="mx-auto grid max-w-6xl grid-cols-[minmax(0,1fr)] gap-5 p-4 md:p-6" data-testid="overview-page">
      <h1 className="text-lg font-semibold tracking-tight">Overview</h1>
      <section>
        <h2 className="panel-title mb-2">Tasks · {totalTasks}</h2>
        <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
          {TASK_STATES.map((s) => (
            <div key={s} className="panel p-3" data-testid={`count-${s}`}>
              <TaskStateBadge state={s} />
              <p className="mt-2 text-2xl font-semibold tabular-nums">{o.tasks[s] ?? 0}</p>
            </div>
          ))}
        </div>
      </section>
      <div className="grid grid-cols-[minmax(0,1fr)] gap-5 lg:grid-cols-[minmax(0,1fr)_18rem]">
        <section className="panel min-w-0 p-4">
          <div className="mb-3 flex items-baseline gap-3">
            <h2 className="panel-title">Throughput · last hour</h2>
            <span className="text-xs text-zinc-500 dark:text-zinc-400">
              {o.throughput.reduce((n, b) => n + b.completed, 0)} completed ·{" "}
              {o.throughput.reduce((n, b) => n + b.failed, 0)} failed
            </span>
          </div>
          <ThroughputChart buckets={o.throughput} />
        </section>
        <section className="panel p-4">
          <h2 className="panel-title mb-3">Agents</h2>
          <ul className="grid gap-1.5 text-sm">
            {AGENT_STATES.map((s) => (
              <li key={s} className="flex items-center gap-2">
                <AgentStateDot state={s} />
                <span className="text-zinc-700 dark:text-zinc-300">{s}</span>
                <span className="ml-auto font-medium tabular-nums">{o.agents[s] ?? 0}</span>
              </li>
            ))}
          </ul>
          <p className="mt-3 border-t border-zinc-100 pt-3 text-xs text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">
            Backlog: {o.backlog} waiting
          </p>
        </section>
      </div>
      <TownUsage />
      <section>
        <h2 className="panel-title mb-2">Recent events</h2>
        <EventList events={o.recent} />
      </section>
    </div>
  );
}

/** Hand-rolled SVG bars: one per minute, completed (green) stacked under failed (red). */
function ThroughputChart(props: { buckets: { at: number; completed: number; failed: number }[] }) {
  const b = props.buckets;
  const max = Math.max(1, ...b.map((x) => x.completed + x.failed));
  const W = 600;
  const H = 140;
  const bw = W / Math.max(1, b.length);
  return (
    <figure className="relative pt-4">
      <span className="absolute top-0 right-0 text-[11px] text-zinc-500 dark:text-zinc-400">{max}/min</span>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        className="h-40 w-full"
        role="img"
        aria-label={`Tasks finished per minute over the last hour; at most ${max} in one minute`}
      >
        {[0.25, 0.5, 0.75].map((f) => (
          <line
            key={f}
            x1="0"
            x2={W}
            y1={H - f * H}
            y2={H - f * H}
            className="stroke-zinc-200 dark:stroke-zinc-800"
            strokeWidth="1"
            vectorEffect="non-scaling-stroke"
          />
        ))}
        <line
          x1="0"
          x2={W}
          y1={H - 0.5}
          y2={H - 0.5}
          className="stroke-zinc-300 dark:stroke-zinc-700"
          strokeWidth="1"
          vectorEffect="non-scaling-stroke"
        />
        {b.map((x, i) => {
          const hc = (x.completed / max) * (H - 8);
          const hf = (x.failed / max) * (H - 8);
          return (
            <g key={x.at}>
              <title>{`${clock(x.at)}: ${x.completed} completed, ${x.failed} failed`}</title>
              <rect x={i * bw + 1} y={H - hc} width={Math.max(1, bw - 2)} height={hc} className="fill-emerald-500" />
              <rect x={i * bw + 1} y={H - hc - hf} width={Math.max(1, bw - 2)} height={hf} className="fill-red-500" />
            </g>
          );
        })}
      </svg>
      <figcaption className="mt-1 flex justify-between text-[11px] text-zinc-500 dark:text-zinc-400">
        <span>{b[0] ? clock(b[0].at).slice(0, 5) : ""}</span>
        <span className="flex items-center gap-3">
          <span className="flex items-center gap-1">
            <span className="size-2 rounded-sm bg-emerald-500" aria-hidden /> completed
          </span>
          <span className="flex items-center gap-1">
            <span className="size-2 rounded-sm bg-red-500" aria-hidden /> failed
          </span>
        </span>
        <span>now</span>
      </figcaption>
    </figure>
  );
}

const describe = (e: TownEvent): string => {
  const who = e.by || "someone";
  const what = e.type.replace(".", " ");
  const name = typeof e.agentName === "string" ? e.agentName : typeof e.name === "string" ? e.name : null;
  return `${who} · ${what}${name ? ` · ${name}` : ""}${e.from && e.to ? ` (${e.from} → ${e.to})` : ""}`;
};

export function EventList(props: { events: TownEvent[] }) {
  if (props.events.length === 0)
    return <p className="panel p-4 text-sm text-zinc-500 dark:text-zinc-400">No events yet.</p>;
  return (
    <ol className="panel divide-y divide-zinc-100 text-sm dark:divide-zinc-800" data-testid="events">
      {[...props.events].reverse().map((e) => (
        <li key={e.id} className="flex items-center gap-3 px-3 py-2">
          <span className="shrink-0 font-mono text-xs text-zinc-500 tabular-nums dark:text-zinc-400">
            {clock(e.at)}
          </span>
          <span className="min-w-0 flex-1 truncate">{describe(e)}</span>
          {e.taskId ? (
            <Link href={`/tasks/${e.taskId}`} className="link shrink-0 font-mono text-xs">
              {shortId(e.taskId)}
            </Link>
          ) : null}
        </li>
      ))}
    </ol>
  );
}
