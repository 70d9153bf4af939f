/**
 * Tokens, cost and budgets: per task (its runs, its budget), per board card, per agent (today, this week, its
 * daily budget), for the town (today, this week, by model, its daily budget); and setting a budget.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import {
  AgentRef,
  assertCan,
  budgetLimits,
  BudgetScope,
  getAgentUsage,
  getRunUsage,
  getTask,
  getTasksUsage,
  getTaskUsage,
  getTownUsage,
  resolveAgent,
  setBudget,
  TaskRef,
  type Action,
  type UsageTotals,
} from "@tinytown/core";

import { operatorProcedure, viewerProcedure } from "../trpc";

/** A budget as the dashboard shows it: "budget $5.00 · $4.10 used"; `limitUsd` null = no limit. */
export interface BudgetState {
  limitUsd: number | null;
  spentUsd: number;
  reached: boolean;
}

const budgetState = (limitUsd: number | null, spentUsd: number): BudgetState => ({
  limitUsd,
  spentUsd,
  reached: limitUsd !== null && Math.round(spentUsd * 1e6) >= Math.round(limitUsd * 1e6),
});

// budgetLimits reads the three overrides of one run at once; a scope's own limit ignores the other two ids, so an
// id that can never exist stands in for the one the caller does not have.
const NONE = "-";

export const UsageTaskInput = z.object({ taskId: TaskRef });
export type UsageTaskInput = z.infer<typeof UsageTaskInput>;
export const UsageRunsInput = z.object({
  taskId: TaskRef,
  /** The runs the timeline has seen (its entries' `run`); runs of other tasks are left out. */
  runIds: z.array(z.string().min(1).max(200)).max(100, "at most 100 runs at once"),
});
export type UsageRunsInput = z.infer<typeof UsageRunsInput>;
export const UsageTasksInput = z.object({
  /** Full task ids (a board's cards); at most 200. */
  taskIds: z.array(z.string().trim().min(1).max(64)).max(200, "at most 200 tasks at once"),
});
export type UsageTasksInput = z.infer<typeof UsageTasksInput>;
export const UsageAgentInput = z.object({ agent: AgentRef });
export type UsageAgentInput = z.infer<typeof UsageAgentInput>;
export const SetBudgetInput = z.object({
  scope: BudgetScope,
  ref: z.string().trim().min(1).max(200).optional(),
  /** USD (per day for agents and the town); null goes back to the config's default. */
  usd: z.number().positive().max(1_000_000).nullable(),
});
export type SetBudgetInput = z.infer<typeof SetBudgetInput>;

/** A task's budget is part of running tasks (operators); an agent's or the town's daily budget is a setting (admins). */
const SET_BUDGET_ACTION: Record<BudgetScope, Action> = {
  task: "task.write",
  agent: "settings.manage",
  town: "settings.manage",
};

export const usageRouter = {
  /** A task's tokens and cost over all its runs, and its budget. */
  task: viewerProcedure.input(UsageTaskInput).query(async ({ ctx, input }) => {
    const task = await getTask(ctx.town, input.taskId);
    const [usage, limits] = await Promise.all([
      getTaskUsage(ctx.town, task.id),
      budgetLimits(ctx.town, { taskId: task.id, agentId: NONE }),
    ]);
    return { usage, budget: budgetState(limits.task, usage.usd) };
  }),

  /** Each run's tokens and cost (the timeline's run headers). */
  runs: viewerProcedure.input(UsageRunsInput).query(async ({ ctx, input }) => {
    const task = await getTask(ctx.town, input.taskId);
    const ids = [...new Set(input.runIds)];
    const runs = await Promise.all(ids.map(async (runId) => ({ runId, ...(await getRunUsage(ctx.town, runId)) })));
    return runs
      .filter((r) => r.taskId === task.id)
      .map(({ runId, model, tokens, usd, unpricedTokens }) => ({ runId, model, tokens, usd, unpricedTokens }));
  }),

  /** The cost of each card that has run (tasks with no recorded usage are left out: "only when known"). */
  tasks: viewerProcedure.input(UsageTasksInput).query(async ({ ctx, input }) => {
    const all = await getTasksUsage(ctx.town, [...new Set(input.taskIds)]);
    const out: Record<string, { usd: number; unpriced: boolean }> = {};
    for (const [id, u] of Object.entries(all)) if (u.runs > 0) out[id] = { usd: u.usd, unpriced: u.unpricedTokens > 0 };
    return out;
  }),

  /** An agent's tokens and cost today, over the last 7 days and all time, and its daily budget. */
  agent: viewerProcedure.input(UsageAgentInput).query(async ({ ctx, input }) => {
    const agent = await resolveAgent(ctx.town, input.agent);
    const [usage, limits] = await Promise.all([
      getAgentUsage(ctx.town, agent.id),
      budgetLimits(ctx.town, { taskId: NONE, agentId: agent.id }),
    ]);
    return { ...usage, budget: budgetState(limits.agentDay, usage.today.usd) };
  }),

  /** The town's tokens and cost today, over the last 7 days, by model, and its daily budget. */
  town: viewerProcedure.query(async ({ ctx }) => {
    const [usage, limits] = await Promise.all([
      getTownUsage(ctx.town),
      budgetLimits(ctx.town, { taskId: NONE, agentId: NONE }),
    ]);
    return { ...usage, budget: budgetState(limits.townDay, usage.today.usd) };
  }),

  /** Sets (or with `usd: null` removes) a task's (operators), an agent's or the town's daily budget (admins). */
  setBudget: operatorProcedure.input(SetBudgetInput).mutation(({ ctx, input }) => {
    assertCan(ctx.principal, SET_BUDGET_ACTION[input.scope]);
    return setBudget(ctx.town, { ...input, by: ctx.actor });
  }),
} satisfies TRPCRouterRecord;

export type { UsageTotals };
