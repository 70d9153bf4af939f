"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";

import type { TownEvent } from "@tinytown/core/schema";

import { apiFailure } from "../lib/errors";
import { duration, shortId } from "../lib/format";
import { useNow } from "../lib/use-now";
import { useTRPC } from "../trpc/react";
import { useShell } from "./app-shell";
import { useLive } from "./live";
import { TaskActivity } from "./activity/task-activity";
import { ChangesTab } from "./changes/changes-tab";
import { TaskMoveButton } from "./task-move";
import { PriorityIcon, Tag, TaskStateBadge } from "./ui/badges";
import { useToast } from "./ui/toast";
import { Fact } from "./ui/fields";
import { RelativeTime } from "./ui/time";

/** How long a run took, or has taken so far (ticking while it runs). */
function RunTime(props: { startedAt: number; completedAt: number | null }) {
  const now = useNow(1000, props.completedAt === null);
  return <>{duration((props.completedAt ?? now) - props.startedAt)}</>;
}

/** The task page: description, state history (who, what, when), attempts, output, result or error. */
export function TaskDetail(props: { taskId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const q = useQuery(trpc.task.get.queryOptions({ taskId: props.taskId }));
  const after = {
    onSuccess: () => void qc.invalidateQueries(trpc.task.pathFilter()),
    onError: (err: unknown) => toast.show("error", "Refused", apiFailure(err).message),
  };
  const cancel = useMutation(trpc.task.cancel.mutationOptions(after));
  const retry = useMutation(trpc.task.retry.mutationOptions(after));
  const [status, setStatus] = useState("");
  const may = useShell().may("task.write");
  const { canChange } = useLive();

  if (q.isPending) return <PageSkeleton />;
  if (q.isError) return <PageError what="task" reference={props.taskId} error={q.error} />;
  const { task, history, agentName } = q.data;

  return (
    <div className="mx-auto grid max-w-5xl grid-cols-[minmax(0,1fr)] gap-5 p-4 md:p-6" data-testid="task-page">
      <nav aria-label="Breadcrumb" className="text-xs text-zinc-600 dark:text-zinc-400">
        <Link href="/" className="hover:underline">
          Board
        </Link>{" "}
        / task <span className="font-mono">{shortId(task.id)}</span>
      </nav>
      <header className="flex flex-wrap items-start gap-3">
        <div className="grid min-w-0 flex-1 gap-2">
          <h1 className="line-clamp-2 text-lg font-semibold tracking-tight break-words">
            {task.description.split("\n")[0]}
          </h1>
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <TaskStateBadge state={task.state} />
            <span data-testid="task-state" className="sr-only">
              {task.state}
            </span>
            <span className="flex items-center gap-1 text-zinc-600 dark:text-zinc-400">
              <PriorityIcon priority={task.priority} /> {task.priority}
            </span>
            {task.tags.map((t) => (
              <Tag key={t} tag={t} />
            ))}
            <span className="font-mono text-xs break-all text-zinc-600 dark:text-zinc-400">{task.id}</span>
          </div>
        </div>
        {may ? (
          <div className="flex gap-2">
            <TaskMoveButton task={task} onStatus={setStatus} />
            {task.state === "pending" || task.state === "assigned" || task.state === "running" ? (
              <button
                type="button"
                className="btn btn-sm"
                onClick={() => cancel.mutate({ taskId: task.id, expectedVersion: task.version })}
                disabled={cancel.isPending || !canChange}
              >
                Cancel task
              </button>
            ) : null}
            {task.state === "failed" || task.state === "cancelled" ? (
              <button
                type="button"
                className="btn btn-sm"
                onClick={() => retry.mutate({ taskId: task.id, expectedVersion: task.version })}
                disabled={retry.isPending || !canChange}
              >
                Retry
              </button>
            ) : null}
          </div>
        ) : null}
        <p role="status" aria-live="polite" className="sr-only" data-testid="task-status">
          {status}
        </p>
      </header>

      <section className="panel p-4">
        <h2 className="panel-title mb-2">Description</h2>
        {/* User input: rendered as text only. */}
        <p className="text-sm leading-6 break-words whitespace-pre-wrap" data-testid="task-description">
          {task.description}
        </p>
      </section>

      <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4">
        <Fact label="Agent">
          {agentName ? (
            <Link className="link font-mono" href={`/agents/${encodeURIComponent(agentName)}`}>
              {agentName}
            </Link>
          ) : (
            "—"
          )}
        </Fact>
        <Fact label="Created">
          <RelativeTime at={task.createdAt} />{" "}
          <span className="text-zinc-600 dark:text-zinc-400">by {task.createdBy}</span>
        </Fact>
        <Fact label="Attempts">{task.attempts}</Fact>
        <Fact label="Run time">
          {task.startedAt ? <RunTime startedAt={task.startedAt} completedAt={task.completedAt} /> : "—"}
        </Fact>
      </dl>

      {task.result ? (
        <section
          className="rounded-lg border border-emerald-200 bg-emerald-50 p-4 dark:border-emerald-900 dark:bg-emerald-950/30"
          data-testid="task-result"
        >
          <h2 className="panel-title mb-2 text-emerald-700 dark:text-emerald-400">Result</h2>
          <p className="text-sm break-words whitespace-pre-wrap">{task.result}</p>
        </section>
      ) : null}
      {task.error ? (
        <section
          className="rounded-lg border border-red-200 bg-red-50 p-4 dark:border-red-900 dark:bg-red-950/30"
          data-testid="task-error"
        >
          <h2 className="panel-title mb-2 text-red-700 dark:text-red-400">Error</h2>
          <p className="font-mono text-xs break-words whitespace-pre-wrap">{task.error}</p>
        </section>
      ) : null}

      {task.workspace || task.review ? (
        <section className="min-w-0" id="changes" aria-labelledby="changes-title">
          <h2 id="changes-title" className="panel-title mb-2">
            Changes
          </h2>
          <ChangesTab task={task} />
        </section>
      ) : null}

      <div className="grid grid-cols-[minmax(0,1fr)] gap-5 lg:grid-cols-[minmax(0,1fr)_20rem]">
        <section className="min-w-0">
          <h2 className="panel-title mb-2">Output</h2>
          <TaskActivity taskId={task.id} state={task.state} />
        </section>
        <section>
          <h2 className="panel-title mb-2">History</h2>
          <History events={history} />
        </section>
      </div>
    </div>
  );
}

const VERB: Record<string, string> = {
  "task.created": "created it",
  "task.assigned": "assigned it",
  "task.unassigned": "unassigned it",
  "task.started": "started it",
  "task.completed": "completed it",
  "task.failed": "failed it",
  "task.requeued": "requeued it",
  "task.cancelled": "cancelled it",
  "task.retried": "retried it",
  "task.changes_recorded": "recorded its changes",
  "task.changes_requested": "requested changes",
  "task.approved": "approved the merge",
  "task.merge_checked": "checked the merge",
  "task.merged": "merged it",
  "task.discarded": "discarded its changes",
};

/** A list of what happened, newest last: who did what, when, from which state to which. */
export function History(props: { events: TownEvent[] }) {
  if (props.events.length === 0) return <p className="text-sm text-zinc-600 dark:text-zinc-400">Nothing yet.</p>;
  return (
    <ol className="relative grid gap-3 border-l border-zinc-200 pl-4 dark:border-zinc-800" data-testid="history">
      {props.events.map((e) => (
        <li key={e.id} className="relative text-sm">
          <span
            aria-hidden
            className="absolute top-1.5 -left-[21px] size-2.5 rounded-full border-2 border-white bg-zinc-400 dark:border-zinc-950"
          />
          <p>
            <span className="font-medium">{e.by || "someone"}</span> {VERB[e.type] ?? e.type}
            {typeof e.agentName === "string" ? (
              <>
                {" "}
                → <span className="font-mono">{e.agentName}</span>
              </>
            ) : null}
          </p>
          <p className="text-xs text-zinc-600 dark:text-zinc-400">
            <RelativeTime at={e.at} />
            {e.from && e.to ? (
              <>
                {" · "}
                {e.from} → {e.to}
              </>
            ) : null}
            {typeof e.reason === "string"
              ? ` · ${e.reason}`
              : typeof e.error === "string"
                ? ` · ${e.error.slice(0, 120)}`
                : null}
          </p>
        </li>
      ))}
    </ol>
  );
}

export function PageSkeleton() {
  return (
    <div className="mx-auto grid max-w-5xl animate-pulse gap-4 p-6" aria-busy="true" aria-label="Loading">
      <div className="h-4 w-40 rounded bg-zinc-200 dark:bg-zinc-800" />
      <div className="h-24 rounded-lg bg-zinc-100 dark:bg-zinc-900" />
      <div className="h-64 rounded-lg bg-zinc-100 dark:bg-zinc-900" />
    </div>
  );
}

/** A page whose task or agent could not be loaded: "not found" (at once: not-found is not retried) or the error. */
export function PageError(props: { what: string; reference?: string; error: unknown }) {
  const f = apiFailure(props.error);
  const notFound = f.code === "NOT_FOUND";
  return (
    <div className="mx-auto max-w-xl p-6" data-testid="not-found" data-code={f.code ?? "unknown"}>
      <h1 className="mb-3 text-lg font-semibold tracking-tight">
        {notFound && props.reference
          ? `No ${props.what} “${props.reference}”`
          : `The ${props.what} could not be loaded`}
      </h1>
      <div
        role="alert"
        className="rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-900 dark:border-red-900 dark:bg-red-950/40 dark:text-red-100"
      >
        {f.message}
      </div>
      <Link href="/" className="link mt-3 inline-block text-sm">
        Back to the board
      </Link>
    </div>
  );
}
