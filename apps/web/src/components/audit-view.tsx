"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useDeferredValue, useState } from "react";

import { describeEvent } from "@tinytown/core/schema";

import { shortId } from "../lib/format";
import { useTRPC } from "../trpc/react";
import { RelativeTime } from "./ui/time";

const TYPES = [
  { value: "", label: "Everything" },
  { value: "task.", label: "Tasks" },
  { value: "agent.", label: "Agents" },
  { value: "message.", label: "Messages" },
  { value: "user.", label: "Users" },
  { value: "token.", label: "Tokens" },
] as const;

/**
 * Who did what, when, in plain words ("ada moved 'Fix login' to worker-2", core's describeEvent): the town's event
 * stream, newest first, filtered by actor and kind, and live (every event refetches it, see live-sync.ts).
 */
export function AuditView() {
  const trpc = useTRPC();
  const [by, setBy] = useState("");
  const [type, setType] = useState("");
  const deferredBy = useDeferredValue(by.trim());
  const q = useQuery(
    trpc.town.audit.queryOptions({ by: deferredBy || undefined, type: type || undefined, limit: 200 }),
  );
  const agents = useQuery(trpc.agent.list.queryOptions());
  const names = new Map((agents.data ?? []).map((a) => [a.id, a.name]));
  const nameOf = (id: string) => names.get(id) ?? null;
  return (
    <div className="mx-auto grid max-w-5xl gap-4 p-4" data-testid="audit-page">
      <div className="flex flex-wrap items-end gap-3">
        <h1 className="mr-auto text-lg font-semibold tracking-tight">Audit</h1>
        <label className="grid gap-1 text-xs text-zinc-600 dark:text-zinc-400">
          Actor
          <input
            className="input"
            placeholder="alice, token:ci-bot, an agent…"
            value={by}
            onChange={(e) => setBy(e.target.value)}
            data-testid="audit-actor"
          />
        </label>
        <label className="grid gap-1 text-xs text-zinc-600 dark:text-zinc-400">
          Kind
          <select className="input" value={type} onChange={(e) => setType(e.target.value)}>
            {TYPES.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {q.error ? <p className="panel p-4 text-sm text-red-700 dark:text-red-300">{q.error.message}</p> : null}
      <ol className="panel divide-y divide-zinc-100 text-sm dark:divide-zinc-800" data-testid="audit">
        {(q.data?.events ?? []).map((e) => (
          <li
            key={e.id}
            className="flex flex-col gap-0.5 px-3 py-2 sm:flex-row sm:items-baseline sm:gap-3"
            data-testid="audit-row"
          >
            <RelativeTime
              at={e.at}
              className="shrink-0 text-xs whitespace-nowrap text-zinc-600 tabular-nums sm:w-24 dark:text-zinc-400"
            />
            <p className="min-w-0 flex-1 break-words" data-testid="audit-text">
              {describeEvent(e, nameOf)}
            </p>
            <span className="flex shrink-0 items-center gap-3 text-xs">
              {e.by ? (
                <button type="button" className="link" onClick={() => setBy(e.by)} title="Only what this actor did">
                  only {e.by}
                </button>
              ) : null}
              {e.taskId ? (
                <Link href={`/tasks/${e.taskId}`} className="link font-mono">
                  {shortId(e.taskId)}
                </Link>
              ) : null}
            </span>
          </li>
        ))}
      </ol>
      {q.data && q.data.events.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Nothing recorded{deferredBy ? ` for ${deferredBy}` : ""}.
        </p>
      ) : null}
      {q.data?.next ? (
        <p className="text-xs text-zinc-600 dark:text-zinc-400">
          Showing the latest 200; older entries are in `tt events`.
        </p>
      ) : null}
    </div>
  );
}
