"use client";

import { useQuery } from "@tanstack/react-query";

import { useNow } from "../../lib/use-now";
import { useTRPC } from "../../trpc/react";
import { BudgetMeter } from "./budget-meter";
import { DayBars } from "./day-bars";
import { runs, timeOfDay, tokenLine, usd } from "./format";

/** "rate-limited until 14:05" while the agent's provider refuses work. */
export function RateLimitBadge(props: { until: number | null }) {
  const { until } = props;
  const now = useNow(15_000, until !== null);
  if (until === null || until <= now) return null;
  return (
    <span
      className="badge bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200"
      data-testid="agent-rate-limited"
    >
      rate-limited until {timeOfDay(until)}
    </span>
  );
}

/** What an agent cost: today, this week (with a bar per day), all time, and its daily budget. */
export function AgentUsage(props: { agentId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.usage.agent.queryOptions({ agent: props.agentId }));
  if (!q.data) return null;
  const u = q.data;
  return (
    <section
      className="panel grid gap-3 p-3 sm:grid-cols-[1fr_12rem] sm:p-4"
      aria-labelledby="agent-usage-title"
      data-testid="agent-usage"
    >
      <div className="grid content-start gap-3">
        <h2 id="agent-usage-title" className="panel-title">
          Cost
        </h2>
        <CostFigures usage={u} testPrefix="agent" />
        <BudgetMeter budget={u.budget} label="daily budget" />
      </div>
      <DayBars days={u.days} label="Cost per day, last 7 days" />
    </section>
  );
}

type Sum = { usd: number; runs: number };

/** Today (with its tokens), this week and all time, as three figures (`<testPrefix>-cost-today` …). */
export function CostFigures(props: {
  usage: { today: Sum & { tokens: Parameters<typeof tokenLine>[0] }; week: Sum; total: Sum };
  testPrefix: string;
}) {
  const { usage: u, testPrefix: p } = props;
  return (
    <dl className="grid grid-cols-3 gap-3">
      <Figure label="Today" usd={u.today.usd} detail={tokenLine(u.today.tokens)} testId={`${p}-cost-today`} />
      <Figure label="This week" usd={u.week.usd} detail={runs(u.week.runs)} testId={`${p}-cost-week`} />
      <Figure label="All time" usd={u.total.usd} detail={runs(u.total.runs)} testId={`${p}-cost-total`} />
    </dl>
  );
}

function Figure(props: { label: string; usd: number; detail: string; testId: string }) {
  return (
    <div className="min-w-0">
      <dt className="text-[11px] font-medium text-zinc-600 uppercase dark:text-zinc-400">{props.label}</dt>
      <dd className="text-lg font-semibold tabular-nums" data-testid={props.testId}>
        {usd(props.usd)}
      </dd>
      <dd className="truncate text-[11px] text-zinc-600 dark:text-zinc-400" title={props.detail}>
        {props.detail}
      </dd>
    </div>
  );
}
