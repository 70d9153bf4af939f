"use client";

import { useQuery } from "@tanstack/react-query";

import { useTRPC } from "../../trpc/react";
import { BudgetMeter } from "./budget-meter";
import { runs as runCount, tokens, TOKEN_KINDS, usd } from "./format";

/** What a task cost: the total, tokens by kind, each run's cost, and its budget. Nothing before its first run. */
export function TaskUsage(props: { taskId: string; runIds: readonly string[] }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.usage.task.queryOptions({ taskId: props.taskId }));
  const runs = useQuery(
    trpc.usage.runs.queryOptions(
      { taskId: props.taskId, runIds: props.runIds.slice(-100) },
      { enabled: props.runIds.length > 1 },
    ),
  );
  if (!q.data) return null;
  const { usage, budget } = q.data;
  if (usage.runs === 0 && budget.limitUsd === null) return null;
  return (
    <section className="panel grid gap-3 p-3 sm:p-4" aria-labelledby="task-usage-title" data-testid="task-usage">
      <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1">
        <h2 id="task-usage-title" className="panel-title">
          Cost
        </h2>
        <p className="text-2xl font-semibold tabular-nums" data-testid="task-cost">
          {usd(usage.usd)}
          {usage.unpricedTokens > 0 ? (
            <span className="ml-2 text-xs font-normal text-zinc-600 dark:text-zinc-400">
              + {tokens(usage.unpricedTokens)} tokens of unknown price
            </span>
          ) : null}
        </p>
        <p className="text-xs text-zinc-600 dark:text-zinc-400">{runCount(usage.runs)}</p>
      </div>
      <dl className="grid grid-cols-2 gap-2 text-sm sm:grid-cols-4" data-testid="task-tokens">
        {TOKEN_KINDS.map((k) => (
          <div key={k.key} className="rounded-md bg-zinc-50 px-2 py-1.5 dark:bg-zinc-800/50">
            <dt className="text-[11px] text-zinc-600 dark:text-zinc-400">{k.label} tokens</dt>
            <dd className="font-medium tabular-nums" title={usage.tokens[k.key].toLocaleString()}>
              {tokens(usage.tokens[k.key])}
            </dd>
          </div>
        ))}
      </dl>
      {runs.data && runs.data.length > 1 ? (
        <table className="w-full text-xs" data-testid="task-runs">
          <caption className="sr-only">Cost per run</caption>
          <thead className="text-left text-[11px] text-zinc-600 dark:text-zinc-400">
            <tr>
              <th className="py-1 font-medium">Run</th>
              <th className="py-1 font-medium">Model</th>
              <th className="py-1 text-right font-medium">Tokens</th>
              <th className="py-1 text-right font-medium">Cost</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.map((r, i) => (
              <tr key={r.runId} className="border-t border-zinc-100 dark:border-zinc-800">
                <td className="py-1">Run {i + 1}</td>
                <td className="py-1 font-mono">{r.model ?? "—"}</td>
                <td className="py-1 text-right tabular-nums">
                  {tokens(r.tokens.input + r.tokens.output + r.tokens.cacheRead + r.tokens.cacheWrite)}
                </td>
                <td className="py-1 text-right font-medium tabular-nums">{usd(r.usd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <BudgetMeter budget={budget} />
    </section>
  );
}
