"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useDeferredValue, useState } from "react";

import type { TownEvent } from "@tinytown/core/schema";

import { dateTime, shortId } from "../lib/format";
import { useTRPC } from "../trpc/react";

const TYPES = [
  { value: "", label: "Everything" },
  { value: "task.", label: "Tasks" },
  { value: "agent.", label: "Agents" },
  { value: "message.", label: "Messages" },
  { value: "user.", label: "Users" },
  { value: "token.", label: "Tokens" },
] as const;

/** What changed besides who and when, in a few words. */
function what(e: TownEvent): string {
  const parts: string[] = [e.type];
  if (e.from || e.to) parts.push(`${String(e.from ?? "·")} → ${String(e.to ?? "·")}`);
  for (const k of ["user", "role", "token", "name", "model", "to"] as const) {
    const v = (e as Record<string, unknown>)[k];
    if (typeof v === "string" && !(k === "to" && e.from)) parts.push(`${k}: ${v}`);
  }
  return parts.join(" · ");
}

/** Who did what, when: the town's event stream, newest first, filtered by actor and kind. */
export function AuditView() {
  const trpc = useTRPC();
  const [by, setBy] = useState("");
  const [type, setType] = useState("");
  const deferredBy = useDeferredValue(by.trim());
  const q = useQuery(
    trpc.town.audit.queryOptions({ by: deferredBy || undefined, type: type || undefined, limit: 200 }),
  );
  return (
    <div className="mx-auto grid max-w-5xl gap-4 p-4">
      <div className="flex flex-wrap items-end gap-3">
        <h1 className="mr-auto text-lg font-semibold tracking-tight">Audit</h1>
        <label className="grid gap-1 text-xs text-zinc-500">
          Actor
          <input
            className="input"
            placeholder="alice, token:ci-bot, an agent…"
            value={by}
            onChange={(e) => setBy(e.target.value)}
            data-testid="audit-actor"
          />
        </label>
        <label className="grid gap-1 text-xs text-zinc-500">
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
      {q.error ? <p className="panel p-4 text-sm text-red-600">{q.error.message}</p> : null}
      <table className="panel w-full text-left text-sm" data-testid="audit">
        <thead className="text-xs text-zinc-500">
          <tr>
            <th className="px-3 py-2 font-medium">When</th>
            <th className="px-3 py-2 font-medium">Who</th>
            <th className="px-3 py-2 font-medium">What</th>
            <th className="px-3 py-2 font-medium">Task</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {(q.data?.events ?? []).map((e) => (
            <tr key={e.id}>
              <td className="px-3 py-1.5 font-mono text-xs whitespace-nowrap text-zinc-500 tabular-nums">
                {dateTime(e.at)}
              </td>
              <td className="px-3 py-1.5">
                <button type="button" className="link" onClick={() => setBy(e.by)} title="Only what this actor did">
                  {e.by || "someone"}
                </button>
              </td>
              <td className="px-3 py-1.5 break-all">{what(e)}</td>
              <td className="px-3 py-1.5">
                {e.taskId ? (
                  <Link href={`/tasks/${e.taskId}`} className="link font-mono text-xs">
                    {shortId(e.taskId)}
                  </Link>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {q.data && q.data.events.length === 0 ? (
        <p className="text-sm text-zinc-500">Nothing recorded{deferredBy ? ` for ${deferredBy}` : ""}.</p>
      ) : null}
      {q.data?.next ? (
        <p className="text-xs text-zinc-500">Showing the latest 200; older entries are in `tt events`.</p>
      ) : null}
    </div>
  );
}
