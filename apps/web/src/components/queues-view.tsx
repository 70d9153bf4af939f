"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";

import type { RouterOutputs } from "@tinytown/api";
import { isAgentActionAllowed } from "@tinytown/core/schema";

import { apiFailure } from "../lib/errors";
import { shortId } from "../lib/format";
import { useTRPC } from "../trpc/react";
import { useShell } from "./app-shell";
import { useTownEvents } from "./live";
import { PageError, PageSkeleton } from "./task-detail";
import { AgentStateBadge, PriorityIcon } from "./ui/badges";
import { useToast } from "./ui/toast";

type QueueRow = RouterOutputs["queue"]["list"][number];

const ADMIN_ONLY = "Only an admin can change the queues";
/** Events arriving within this window refresh the counts once. */
const COALESCE_MS = 150;

/**
 * The agents' BullMQ run queues (what `tt queue` shows): per agent its state, the jobs waiting, running and
 * delayed, the tasks assigned to it, and whether the queue is paused; admins can clean, retry, pause and resume
 * it, and promote an assigned task. Counts refresh on every task or agent event.
 */
export function QueuesView() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const isAdmin = useShell().may("agent.manage");
  // A slow poll as well: the runner pauses a BullMQ queue without an event of its own.
  const q = useQuery(trpc.queue.list.queryOptions(undefined, { refetchInterval: 10_000 }));

  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useTownEvents((e) => {
    if (!e.type.startsWith("task.") && !e.type.startsWith("agent.")) return;
    timer.current ??= setTimeout(() => {
      timer.current = null;
      void qc.invalidateQueries(trpc.queue.pathFilter());
      void qc.invalidateQueries(trpc.task.list.pathFilter());
    }, COALESCE_MS);
  });
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  if (q.isPending) return <PageSkeleton />;
  if (q.isError) return <PageError what="queues" error={q.error} />;
  const rows = q.data;
  const total = rows.reduce((n, r) => n + r.counts.waiting + r.counts.prioritized, 0);

  return (
    <div className="mx-auto grid max-w-6xl grid-cols-[minmax(0,1fr)] gap-4 p-4 md:p-6" data-testid="queues-page">
      <div className="flex flex-wrap items-end gap-x-4 gap-y-2">
        <div className="mr-auto">
          <h1 className="text-lg font-semibold tracking-tight">Queues</h1>
          <p className="text-sm text-zinc-500 dark:text-zinc-400">
            Each agent&apos;s run queue · {total} waiting in all. Jobs are hints: a task&apos;s state is the truth, so
            every action is safe to repeat.
          </p>
        </div>
        <AllQueues isAdmin={isAdmin} disabled={rows.length === 0} />
      </div>
      {rows.length === 0 ? (
        <p className="panel p-4 text-sm text-zinc-500 dark:text-zinc-400" data-testid="queues-empty">
          No agents, so no queues. Spawn one from the board (<kbd className="kbd">a</kbd>).
        </p>
      ) : (
        <section className="panel" aria-label="Run queues">
          <div
            className="hidden grid-cols-[minmax(0,1fr)_repeat(4,5.5rem)_16rem] gap-3 border-b border-zinc-100 px-4 py-2 text-xs font-medium text-zinc-500 md:grid dark:border-zinc-800 dark:text-zinc-400"
            aria-hidden
          >
            <span>Agent</span>
            <span className="text-right">Waiting</span>
            <span className="text-right">Active</span>
            <span className="text-right">Delayed</span>
            <span className="text-right">Assigned</span>
            <span className="text-right">Actions</span>
          </div>
          <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
            {rows.map((r) => (
              <QueueItem key={r.agentId} row={r} isAdmin={isAdmin} />
            ))}
          </ul>
        </section>
      )}
      {isAdmin ? null : (
        <p className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="queues-read-only">
          You can look; changing the queues needs the admin role.
        </p>
      )}
    </div>
  );
}

/** Which actions are in flight, so each button can say so. */
function useQueueActions(agent?: string) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const who = agent ?? "every queue";
  const refresh = () => {
    void qc.invalidateQueries(trpc.queue.pathFilter());
    void qc.invalidateQueries(trpc.agent.pathFilter());
  };
  const failed = (what: string) => (err: unknown) =>
    toast.show("error", `Could not ${what} ${who}`, apiFailure(err).message);
  const clean = useMutation(
    trpc.queue.clean.mutationOptions({
      onSuccess: (res) => {
        refresh();
        const n = res.reduce((s, r) => s + r.removed, 0);
        toast.show(
          "success",
          `${who}: cleaned`,
          n === 0 ? "No stale jobs." : `Removed ${n} stale job${n === 1 ? "" : "s"}.`,
        );
      },
      onError: failed("clean"),
    }),
  );
  const retry = useMutation(
    trpc.queue.retry.mutationOptions({
      onSuccess: (res) => {
        refresh();
        const n = res.reduce((s, r) => s + r.enqueued, 0);
        toast.show(
          "success",
          `${who}: retried`,
          n === 0 ? "Every assigned task already had its job." : `Put back ${n} run${n === 1 ? "" : "s"}.`,
        );
      },
      onError: failed("retry"),
    }),
  );
  const pause = useMutation(
    trpc.queue.pause.mutationOptions({
      onSuccess: () => (refresh(), toast.show("success", `${who}: paused`, "It takes no new work.")),
      onError: failed("pause"),
    }),
  );
  const resume = useMutation(
    trpc.queue.resume.mutationOptions({
      onSuccess: () => (refresh(), toast.show("success", `${who}: resumed`)),
      onError: failed("resume"),
    }),
  );
  return { clean, retry, pause, resume };
}

/** Clean and retry across every agent's queue. */
function AllQueues(props: { isAdmin: boolean; disabled: boolean }) {
  const a = useQueueActions();
  return (
    <div className="flex gap-1.5">
      <Guarded
        isAdmin={props.isAdmin}
        hint="Drop waiting jobs whose task is no longer assigned to that agent, in every queue"
      >
        <button
          type="button"
          className="btn btn-sm"
          disabled={!props.isAdmin || props.disabled || a.clean.isPending}
          onClick={() => a.clean.mutate({})}
          data-testid="queues-clean-all"
        >
          Clean all
        </button>
      </Guarded>
      <Guarded isAdmin={props.isAdmin} hint="Put back the run of every assigned task that lost its job, in every queue">
        <button
          type="button"
          className="btn btn-sm"
          disabled={!props.isAdmin || props.disabled || a.retry.isPending}
          onClick={() => a.retry.mutate({})}
          data-testid="queues-retry-all"
        >
          Retry all
        </button>
      </Guarded>
    </div>
  );
}

/** A disabled button shows no tooltip of its own: the wrapper carries it (and says why it is disabled). */
function Guarded(props: { isAdmin: boolean; hint: string; children: React.ReactNode }) {
  return (
    <span className="inline-flex" title={props.isAdmin ? props.hint : ADMIN_ONLY}>
      {props.children}
    </span>
  );
}

function QueueItem(props: { row: QueueRow; isAdmin: boolean }) {
  const r = props.row;
  const a = useQueueActions(r.agent);
  const [open, setOpen] = useState(false);
  const waiting = r.counts.waiting + r.counts.prioritized;
  const agentPaused = r.agentState === "paused";
  const canPause = isAgentActionAllowed("interrupt", r.agentState);
  const canResume = isAgentActionAllowed("resume", r.agentState);
  const busy = a.clean.isPending || a.retry.isPending || a.pause.isPending || a.resume.isPending;
  const stats = [
    { label: "Waiting", value: waiting, id: "waiting" },
    { label: "Active", value: r.counts.active, id: "active" },
    { label: "Delayed", value: r.counts.delayed, id: "delayed" },
    { label: "Assigned", value: r.assigned, id: "assigned" },
  ];

  return (
    <li
      className="px-4 py-3"
      data-testid={`queue-${r.agent}`}
      data-state={r.agentState}
      data-paused={r.paused || agentPaused}
    >
      <div className="grid grid-cols-[minmax(0,1fr)] gap-3 md:grid-cols-[minmax(0,1fr)_repeat(4,5.5rem)_16rem] md:items-center">
        <div className="flex min-w-0 flex-wrap items-center gap-2">
          <Link href={`/agents/${encodeURIComponent(r.agent)}`} className="truncate font-medium hover:underline">
            {r.agent}
          </Link>
          <AgentStateBadge state={r.agentState} />
          {r.paused || agentPaused ? (
            <span
              className="badge bg-violet-100 text-violet-800 dark:bg-violet-950 dark:text-violet-300"
              title={
                r.paused
                  ? "BullMQ has this queue paused: no job is handed out"
                  : "The agent is paused; its runner pauses the queue"
              }
              data-testid="queue-paused"
            >
              {r.paused ? "paused" : "pausing"}
            </span>
          ) : null}
        </div>
        <dl className="grid grid-cols-4 gap-2 md:contents">
          {stats.map((s) => (
            <div
              key={s.id}
              className="rounded-md bg-zinc-50 px-2 py-1.5 md:bg-transparent md:p-0 md:text-right dark:bg-zinc-900 md:dark:bg-transparent"
            >
              <dt className="text-[11px] text-zinc-500 md:sr-only dark:text-zinc-400">{s.label}</dt>
              <dd
                className={`font-medium tabular-nums ${s.value === 0 ? "text-zinc-400 dark:text-zinc-600" : ""}`}
                data-testid={`queue-${s.id}`}
              >
                {s.value}
              </dd>
            </div>
          ))}
        </dl>
        <div className="flex flex-wrap gap-1.5 md:justify-end">
          <Guarded isAdmin={props.isAdmin} hint="Drop waiting jobs whose task is no longer assigned to this agent">
            <button
              type="button"
              className="btn btn-sm"
              disabled={!props.isAdmin || busy}
              onClick={() => a.clean.mutate({ agent: r.agentId })}
              data-testid="queue-clean"
            >
              Clean
            </button>
          </Guarded>
          <Guarded isAdmin={props.isAdmin} hint="Put back the run of every assigned task that lost its job">
            <button
              type="button"
              className="btn btn-sm"
              disabled={!props.isAdmin || busy}
              onClick={() => a.retry.mutate({ agent: r.agentId })}
              data-testid="queue-retry"
            >
              Retry
            </button>
          </Guarded>
          {agentPaused ? (
            <Guarded isAdmin={props.isAdmin} hint="Take work again">
              <button
                type="button"
                className="btn btn-sm"
                disabled={!props.isAdmin || busy || !canResume}
                onClick={() => a.resume.mutate({ agent: r.agentId })}
                data-testid="queue-resume"
              >
                Resume
              </button>
            </Guarded>
          ) : (
            <Guarded
              isAdmin={props.isAdmin}
              hint={
                canPause
                  ? "Pause: the agent takes no new work (its running task finishes)"
                  : `A ${r.agentState} agent cannot be paused`
              }
            >
              <button
                type="button"
                className="btn btn-sm"
                disabled={!props.isAdmin || busy || !canPause}
                onClick={() => a.pause.mutate({ agent: r.agentId })}
                data-testid="queue-pause"
              >
                Pause
              </button>
            </Guarded>
          )}
          <button
            type="button"
            className="btn btn-sm"
            aria-expanded={open}
            aria-controls={`assigned-${r.agentId}`}
            onClick={() => setOpen((o) => !o)}
            disabled={r.assigned === 0}
            title={
              r.assigned === 0 ? "No tasks assigned" : "The tasks waiting for this agent (promote one to the front)"
            }
            data-testid="queue-tasks"
          >
            Tasks {open ? "▴" : "▾"}
          </button>
        </div>
      </div>
      {open && r.assigned > 0 ? <AssignedTasks agentId={r.agentId} isAdmin={props.isAdmin} /> : null}
    </li>
  );
}

/** The tasks assigned to one agent, with Promote (to the front of its queue). */
function AssignedTasks(props: { agentId: string; isAdmin: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const q = useQuery(trpc.task.list.queryOptions({ agent: props.agentId, state: "assigned", limit: 50 }));
  const promote = useMutation(
    trpc.queue.promote.mutationOptions({
      onSuccess: (res) => {
        void qc.invalidateQueries(trpc.queue.pathFilter());
        toast.show("success", `Task ${shortId(res.promoted)} is next`, "It moved to the front of its agent's queue.");
      },
      onError: (err) => toast.show("error", "Could not promote the task", apiFailure(err).message),
    }),
  );
  return (
    <div id={`assigned-${props.agentId}`} className="mt-3 rounded-md border border-zinc-100 dark:border-zinc-800">
      {q.isPending ? <p className="p-3 text-sm text-zinc-500 dark:text-zinc-400">Loading…</p> : null}
      {q.isError ? <p className="p-3 text-sm text-red-600">{apiFailure(q.error).message}</p> : null}
      <ul className="divide-y divide-zinc-100 text-sm dark:divide-zinc-800">
        {(q.data?.items ?? []).map((t) => (
          <li key={t.id} className="flex items-center gap-2 px-3 py-1.5" data-testid={`assigned-${t.id}`}>
            <PriorityIcon priority={t.priority} />
            <Link href={`/tasks/${t.id}`} className="link shrink-0 font-mono text-xs">
              {shortId(t.id)}
            </Link>
            <span className="min-w-0 flex-1 truncate">{t.description}</span>
            <Guarded isAdmin={props.isAdmin} hint="Move this task to the front of the agent's queue">
              <button
                type="button"
                className="btn btn-sm"
                disabled={!props.isAdmin || promote.isPending}
                onClick={() => promote.mutate({ taskId: t.id })}
                data-testid="queue-promote"
              >
                Promote
              </button>
            </Guarded>
          </li>
        ))}
      </ul>
    </div>
  );
}
