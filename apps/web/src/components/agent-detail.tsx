"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";

import { ago, dateTime, shortId } from "../lib/format";
import { useTRPC } from "../trpc/react";
import { AgentActions } from "./agent-actions";
import { LogView } from "./log-view";
import { MessageList } from "./message-list";
import { PageError, PageSkeleton } from "./task-detail";
import { AgentStateBadge, ModelBadge, PriorityIcon, TaskStateBadge } from "./ui/badges";
import { Fact } from "./ui/fields";
import { AgentUsage, RateLimitBadge } from "./usage/agent-usage";

/** An agent's page: state and actions, its current task with live output, its inbox and its task history. */
export function AgentDetail(props: { name: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.agent.get.queryOptions({ agent: props.name }));
  const models = useQuery(trpc.town.models.queryOptions(undefined, { staleTime: 5 * 60_000 }));

  if (q.isPending) return <PageSkeleton />;
  if (q.isError) return <PageError what="agent" reference={props.name} error={q.error} />;
  const { agent, tasks, inbox, rateLimitedUntil } = q.data;
  const simulated = models.data?.find((m) => m.name === agent.model)?.kind === "simulated" || agent.model === "sim";
  const current = agent.currentTask ? tasks.find((t) => t.id === agent.currentTask) : undefined;

  return (
    <div className="mx-auto grid max-w-6xl grid-cols-[minmax(0,1fr)] gap-5 p-4 md:p-6" data-testid="agent-page">
      <nav aria-label="Breadcrumb" className="text-xs text-zinc-600 dark:text-zinc-400">
        <Link href="/" className="hover:underline">
          Board
        </Link>{" "}
        / agents / <span className="font-mono">{agent.name}</span>
      </nav>
      <header className="flex flex-wrap items-center gap-3">
        <h1 className="font-mono text-xl font-semibold">{agent.name}</h1>
        <AgentStateBadge state={agent.state} />
        <ModelBadge model={agent.model} simulated={simulated} />
        <RateLimitBadge until={rateLimitedUntil} />
        <div className="ml-auto">
          <AgentActions agent={agent} />
        </div>
      </header>
      {agent.state === "error" && agent.error ? (
        <p
          role="alert"
          className="rounded-lg border border-red-200 bg-red-50 p-3 text-sm text-red-900 dark:border-red-900 dark:bg-red-950/40 dark:text-red-100"
        >
          {agent.error}
        </p>
      ) : null}
      <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4">
        <Fact label="Runner">
          {agent.runner ? <span className="font-mono">{agent.runner.slice(0, 12)}</span> : "none yet"}
        </Fact>
        <Fact label="Heartbeat">
          {agent.lastHeartbeat ? <span suppressHydrationWarning>{ago(agent.lastHeartbeat)}</span> : "—"}
        </Fact>
        <Fact label="Completed / failed">
          {agent.tasksCompleted} / {agent.tasksFailed}
        </Fact>
        <Fact label="Spawned">
          {dateTime(agent.createdAt)} <span className="text-zinc-500 dark:text-zinc-400">by {agent.createdBy}</span>
        </Fact>
      </dl>

      <AgentUsage agentId={agent.id} />
      <div className="grid grid-cols-[minmax(0,1fr)] gap-5 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <section className="min-w-0" data-testid="agent-current-task">
          <h2 className="panel-title mb-2">Current task</h2>
          {agent.currentTask ? (
            <div className="grid gap-2">
              <Link
                href={`/tasks/${agent.currentTask}`}
                className="panel block p-3 text-sm hover:border-zinc-300 dark:hover:border-zinc-700"
              >
                <span className="mb-1 flex items-center gap-2 text-xs text-zinc-500 dark:text-zinc-400">
                  {current ? <TaskStateBadge state={current.state} /> : null}
                  <span className="font-mono">{shortId(agent.currentTask)}</span>
                </span>
                <span className="line-clamp-3 break-words whitespace-pre-wrap">{current?.description ?? "…"}</span>
              </Link>
              <LogView taskId={agent.currentTask} state={current?.state ?? "running"} />
            </div>
          ) : (
            <p className="panel p-4 text-sm text-zinc-500 dark:text-zinc-400">Not working on anything right now.</p>
          )}
        </section>
        <section className="min-w-0">
          <h2 className="panel-title mb-2">
            Inbox <span className="font-normal text-zinc-500 dark:text-zinc-400">({inbox.length})</span>
          </h2>
          <MessageList messages={inbox} empty="The inbox is empty." />
        </section>
      </div>

      <section>
        <h2 className="panel-title mb-2">History</h2>
        {tasks.length === 0 ? (
          <p className="text-sm text-zinc-500 dark:text-zinc-400">No tasks yet.</p>
        ) : (
          <div className="panel overflow-x-auto">
            <table className="w-full table-fixed text-sm" data-testid="agent-history">
              <thead className="text-left text-[11px] text-zinc-500 uppercase dark:text-zinc-400">
                <tr className="border-b border-zinc-200 dark:border-zinc-800">
                  <th className="px-3 py-2 font-medium">Task</th>
                  <th className="w-28 px-3 py-2 font-medium">State</th>
                  <th className="hidden w-20 px-3 py-2 font-medium sm:table-cell">Priority</th>
                  <th className="w-28 px-3 py-2 font-medium">Updated</th>
                </tr>
              </thead>
              <tbody>
                {tasks.map((t) => (
                  <tr key={t.id} className="border-b border-zinc-100 last:border-0 dark:border-zinc-800/60">
                    <td className="px-3 py-2">
                      <Link href={`/tasks/${t.id}`} className="block truncate hover:underline">
                        <span className="mr-2 hidden font-mono text-xs text-zinc-500 sm:inline dark:text-zinc-400">
                          {shortId(t.id)}
                        </span>
                        {t.description}
                      </Link>
                    </td>
                    <td className="px-3 py-2">
                      <TaskStateBadge state={t.state} />
                    </td>
                    <td className="hidden px-3 py-2 sm:table-cell">
                      <PriorityIcon priority={t.priority} />
                    </td>
                    <td
                      className="px-3 py-2 whitespace-nowrap text-zinc-500 dark:text-zinc-400"
                      suppressHydrationWarning
                    >
                      {ago(t.updatedAt)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
