/**
 * Budgets in Redis: operators' overrides of the config's limits (`tt:<town>:budgets`: `task:<id>`, `agent:<id>`,
 * `town` → USD), the limits and spend that apply to a run, and whether a new run may start.
 */
import { z } from "zod";
import { resolveAgent } from "../agent/agent.service";
import { eventPlan } from "../channel/events";
import { validationError } from "../errors";
import { applyPlan } from "../redis/atomic";
import { Actor } from "../refs";
import { getTask } from "../task/task.service";
import type { Town } from "../town/town";
import {
  BudgetScope,
  checkBudget,
  dayKey,
  type BudgetLimits,
  type BudgetSpend,
  type BudgetVerdict,
} from "./budget-rules";

export const SetBudgetInput = z
  .object({
    scope: BudgetScope,
    /** The task or agent (id, unique id prefix, or agent name); none for the town. */
    ref: z.string().trim().min(1).max(200).optional(),
    /** The new limit in USD (per day for agents and the town); null goes back to the config's default. */
    usd: z.number().positive().max(1_000_000).nullable(),
    by: Actor,
  })
  .strict()
  .refine((i) => (i.scope === "town") === (i.ref === undefined), {
    message: "a task or agent budget names its task or agent; the town's names none",
    path: ["ref"],
  });
export type SetBudgetInput = z.input<typeof SetBudgetInput>;

const field = (scope: BudgetScope, id?: string) => (scope === "town" ? "town" : `${scope}:${id}`);

/**
 * Sets (or, with `usd: null`, removes) an operator's budget for a task, an agent (per day) or the town (per day).
 * Raising a reached budget lets runs start again at once. Recorded as a `budget.set` event.
 */
export async function setBudget(
  town: Town,
  raw: SetBudgetInput,
): Promise<{ scope: BudgetScope; id: string | null; usd: number | null }> {
  const r = SetBudgetInput.safeParse(raw);
  if (!r.success) throw validationError("budget", r.error.issues);
  const { scope, ref, usd, by } = r.data;
  const id =
    scope === "task" ? (await getTask(town, ref!)).id : scope === "agent" ? (await resolveAgent(town, ref!)).id : null;
  const f = field(scope, id ?? undefined);
  await applyPlan(town.redis, {
    expect: [],
    ...(usd === null
      ? { hdel: [{ key: town.keys.budgets, fields: [f] }] }
      : { hset: [{ key: town.keys.budgets, fields: { [f]: usd } }] }),
    event: eventPlan(town, "budget.set", by, {
      scope,
      ...(scope === "task" ? { taskId: id } : scope === "agent" ? { agentId: id } : {}),
      usd,
    }),
  });
  return { scope, id, usd };
}

/** The limits for a run of `taskId` on `agentId`: an operator's override, else the config's default, else none. */
export async function budgetLimits(town: Town, run: { taskId: string; agentId: string }): Promise<BudgetLimits> {
  const [task, agent, all] = await town.redis.hmget(
    town.keys.budgets,
    `task:${run.taskId}`,
    `agent:${run.agentId}`,
    "town",
  );
  const d = town.config.budgets;
  const pick = (own: string | null, dflt: number | undefined) =>
    own !== null && Number(own) > 0 ? Number(own) : (dflt ?? null);
  return {
    task: pick(task ?? null, d.taskUsd),
    agentDay: pick(agent ?? null, d.agentDailyUsd),
    townDay: pick(all ?? null, d.townDailyUsd),
  };
}

/** What the task has cost, and what the agent and the town spent today. */
export async function budgetSpend(
  town: Town,
  run: { taskId: string; agentId: string; now?: number },
): Promise<BudgetSpend> {
  const day = dayKey(run.now ?? Date.now(), town.config.budgets.timeZone);
  const pipe = town.redis.pipeline();
  pipe.hget(town.keys.usageTask(run.taskId), "costMicros");
  pipe.hget(town.keys.usageAgentDay(run.agentId, day), "costMicros");
  pipe.hget(town.keys.usageTownDay(day), "costMicros");
  const [task, agentDay, townDay] = ((await pipe.exec()) ?? []).map(([err, v]) => {
    if (err) throw err;
    return Number(v ?? 0) / 1e6;
  });
  return { task: task ?? 0, agentDay: agentDay ?? 0, townDay: townDay ?? 0 };
}

/**
 * Whether a new run of `taskId` on `agentId` may start: not while the task's budget, the agent's or the town's
 * daily budget is reached (the verdict says which, and by how much).
 */
export async function checkRunBudget(
  town: Town,
  run: { taskId: string; agentId: string; now?: number },
): Promise<BudgetVerdict> {
  const [limits, spend] = await Promise.all([budgetLimits(town, run), budgetSpend(town, run)]);
  return checkBudget(limits, spend);
}
