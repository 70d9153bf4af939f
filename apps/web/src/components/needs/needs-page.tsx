"use client";

import { apiFailure } from "../../lib/errors";
import { useShell } from "../app-shell";
import { NeedCard } from "./need-card";
import { useNotifyOptIn } from "./notifications";
import { useNeeds } from "./use-needs";

/**
 * The team's "Needs you" inbox: agents' questions, budget stops, merge conflicts and failed tasks, most urgent first.
 * Anyone sees it live; an operator takes an item ("I'll take it", shown to everyone at once) and answers it.
 */
export function NeedsPage() {
  const shell = useShell();
  const needs = useNeeds();
  const [notify, setNotify] = useNotifyOptIn();
  const me = shell.auth.mode === "signed-in" ? shell.auth.name : shell.actor;
  const canAct = shell.may("task.write");

  return (
    <div className="mx-auto grid max-w-3xl gap-4 p-4 md:p-6" data-testid="needs-page">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-lg font-semibold tracking-tight">
          Needs you
          {needs.data ? (
            <span className="ml-2 text-sm font-normal text-zinc-500 dark:text-zinc-400" data-testid="needs-total">
              {needs.data.count} open
            </span>
          ) : null}
        </h1>
        <label className="ml-auto flex items-center gap-2 text-sm text-zinc-600 dark:text-zinc-300">
          <input
            type="checkbox"
            checked={notify}
            onChange={(e) => void setNotify(e.target.checked)}
            data-testid="notify-toggle"
          />
          Browser notifications
        </label>
      </div>
      {needs.isPending ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading…</p>
      ) : needs.isError ? (
        <p role="alert" className="text-sm text-red-600">
          {apiFailure(needs.error).message}
        </p>
      ) : needs.data.items.length === 0 ? (
        <p className="rounded-lg border border-dashed border-zinc-300 p-6 text-center text-sm text-zinc-500 dark:border-zinc-700 dark:text-zinc-400">
          Nothing needs you. Questions from agents (<code>tt ask</code>), failed tasks, merge conflicts and budget stops
          show up here.
        </p>
      ) : (
        <ul className="grid gap-3" data-testid="needs-list">
          {needs.data.items.map((n) => (
            <NeedCard key={n.id} need={n} me={me} canAct={canAct} />
          ))}
        </ul>
      )}
    </div>
  );
}
