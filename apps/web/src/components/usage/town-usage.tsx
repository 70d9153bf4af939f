"use client";

import { useQuery } from "@tanstack/react-query";

import { useTRPC } from "../../trpc/react";
import { CostFigures } from "./agent-usage";
import { BudgetMeter } from "./budget-meter";
import { DayBars } from "./day-bars";
import { tokens, usd } from "./format";

/** What the town's agents cost: today, this week (a bar per day), by model, and the town's daily budget. */
export function TownUsage() {
  const trpc = useTRPC();
  const q = useQuery(trpc.usage.town.queryOptions());
  if (!q.data) return null;
  const u = q.data;
  return (
    <section
      className="grid grid-cols-[minmax(0,1fr)] gap-5 lg:grid-cols-[minmax(0,1fr)_26rem]"
      aria-labelledby="town-usage-title"
      data-testid="town-usage"
    >
      <div className="panel grid min-w-0 content-start gap-3 p-4">
        <h2 id="town-usage-title" className="panel-title">
          Cost
        </h2>
        <CostFigures usage={u} testPrefix="town" />
        <BudgetMeter budget={u.budget} label="daily budget" />
        <DayBars days={u.days} label="The town's cost per day, last 7 days" />
      </div>
      <div className="panel min-w-0 p-4">
        <h3 className="panel-title mb-2">By model · this week</h3>
        {u.byModel.length === 0 ? (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">No usage recorded yet.</p>
        ) : (
          <table className="w-full table-fixed text-sm" data-testid="cost-by-model">
            <thead className="text-left text-[11px] text-zinc-600 dark:text-zinc-400">
              <tr>
                <th className="pb-1 font-medium">Model</th>
                <th className="w-20 pb-1 pl-2 text-right font-medium">Today</th>
                <th className="w-20 pb-1 pl-2 text-right font-medium">Week</th>
              </tr>
            </thead>
            <tbody>
              {u.byModel.map((m) => (
                <tr key={m.model} className="border-t border-zinc-100 dark:border-zinc-800">
                  <td
                    className="truncate py-1 font-mono text-xs"
                    title={`${m.model}: ${tokens(m.week.tokens.input + m.week.tokens.output + m.week.tokens.cacheRead + m.week.tokens.cacheWrite)} tokens this week`}
                  >
                    {m.model}
                  </td>
                  <td className="py-1 pl-2 text-right tabular-nums">{usd(m.today.usd)}</td>
                  <td className="py-1 pl-2 text-right font-medium tabular-nums">{usd(m.week.usd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
