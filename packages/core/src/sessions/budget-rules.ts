/**
 * Budgets as pure rules: limits in US dollars per task, per agent per day and per town per day; a run that reaches
 * one is stopped, and no run may start while one is reached (until someone raises it, or the day turns for the
 * daily ones). Client-safe: the dashboard shows the same verdicts.
 */
import { z } from "zod";

const Usd = z.number().positive().max(1_000_000);

/** `budgets` in tinytown.json: the town's defaults (none = no limit); operators override them per task / agent / town. */
export const BudgetsConfig = z
  .object({
    /** What one task may cost over all its runs. */
    taskUsd: Usd.optional(),
    /** What one agent may spend in a day. */
    agentDailyUsd: Usd.optional(),
    /** What the whole town may spend in a day. */
    townDailyUsd: Usd.optional(),
    /** Where days start and end, for daily budgets and daily sums (an IANA time zone). */
    timeZone: z.string().max(64).refine(validTimeZone, "an IANA time zone such as UTC or Europe/Paris").default("UTC"),
  })
  .strict();
export type BudgetsConfig = z.infer<typeof BudgetsConfig>;

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-CA", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const BUDGET_SCOPES = ["task", "agent", "town"] as const;
export const BudgetScope = z.enum(BUDGET_SCOPES);
export type BudgetScope = z.infer<typeof BudgetScope>;

/** The limits that apply to one run, in USD; null = no limit. */
export interface BudgetLimits {
  task: number | null;
  agentDay: number | null;
  townDay: number | null;
}

/** What was spent so far, in USD, against each limit. */
export interface BudgetSpend {
  task: number;
  agentDay: number;
  townDay: number;
}

export type BudgetVerdict =
  | { ok: true }
  | {
      ok: false;
      scope: BudgetScope;
      limitUsd: number;
      spentUsd: number;
      /** `task budget $5.00 reached after $5.13` — what the task's failure and the supervisor's report say. */
      reason: string;
    };

/** `$5.00`; small sums keep the digits that make them differ from zero (`$0.0042`). */
export function formatUsd(usd: number): string {
  const abs = Math.abs(usd);
  const digits = abs > 0 && abs < 0.01 ? Math.min(6, 1 - Math.floor(Math.log10(abs))) : 2;
  return `${usd < 0 ? "-" : ""}$${abs.toFixed(digits)}`;
}

const WHAT: Record<BudgetScope, string> = {
  task: "task budget",
  agent: "agent's daily budget",
  town: "town's daily budget",
};

/**
 * Whether a run may go on (or start): `spent` plus `addUsd` (a new event's cost) against each limit, the task's
 * first, then the agent's, then the town's. Reached means spent ≥ limit.
 */
export function checkBudget(limits: BudgetLimits, spent: BudgetSpend, addUsd = 0): BudgetVerdict {
  const checks: [BudgetScope, number | null, number][] = [
    ["task", limits.task, spent.task],
    ["agent", limits.agentDay, spent.agentDay],
    ["town", limits.townDay, spent.townDay],
  ];
  for (const [scope, limit, used] of checks) {
    const total = used + addUsd;
    // Sums are kept in micro-dollars: compare there, so that $0.1 + $0.2 reaches a $0.30 budget.
    if (limit !== null && Math.round(total * 1e6) >= Math.round(limit * 1e6)) {
      return {
        ok: false,
        scope,
        limitUsd: limit,
        spentUsd: total,
        reason: `${WHAT[scope]} ${formatUsd(limit)} reached after ${formatUsd(total)}`,
      };
    }
  }
  return { ok: true };
}

/** The calendar day of `at` in `timeZone`, as `YYYY-MM-DD`: the key of daily sums and budgets. */
export function dayKey(at: number, timeZone = "UTC"): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

/** The `n` days ending with the day of `at`, oldest first. */
export function lastDays(at: number, n: number, timeZone = "UTC"): string[] {
  const days: string[] = [];
  // Step back by 24 h from noon of the day: daylight-saving changes never skip or repeat a day.
  const [y, m, d] = dayKey(at, timeZone).split("-").map(Number) as [number, number, number];
  const noon = Date.UTC(y, m - 1, d, 12);
  for (let i = n - 1; i >= 0; i--) days.push(new Date(noon - i * 86_400_000).toISOString().slice(0, 10));
  return days;
}
