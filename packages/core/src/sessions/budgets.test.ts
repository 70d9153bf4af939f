/** Budgets on a real Redis: config defaults, operators' overrides, and the stop / no-new-run verdicts. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawnAgent } from "../agent/agent.service";
import { readEvents } from "../channel/events";
import { isCoreError } from "../errors";
import { createTask } from "../task/task.service";
import { testTown } from "../testing";
import type { Town } from "../town/town";
import { checkBudget } from "./budget-rules";
import { budgetLimits, budgetSpend, checkRunBudget, setBudget } from "./budgets";
import { recordActivity } from "./record";

let town: Town;
beforeAll(async () => {
  town = await testTown({ budgets: { taskUsd: 1, agentDailyUsd: 5, timeZone: "UTC" } });
});
afterAll(() => town.close());

const cost = (usd: number, seq: number) => [
  { seq, event: { kind: "cost" as const, usd, source: "reported" as const } },
];

async function fixture() {
  const agent = await spawnAgent(town, {
    name: `w-${Math.random().toString(36).slice(2, 8)}`,
    model: "claude",
    by: "cli",
  });
  const task = await createTask(town, { description: "budgeted", by: "cli" });
  return { agent, task, run: { taskId: task.id, agentId: agent.id } };
}

describe("budgets", () => {
  test("the config's defaults apply; an operator's override replaces one; removing it goes back", async () => {
    const { agent, task, run } = await fixture();
    expect(await budgetLimits(town, run)).toEqual({ task: 1, agentDay: 5, townDay: null });
    await setBudget(town, { scope: "task", ref: task.id.slice(0, 8), usd: 2.5, by: "ada" });
    await setBudget(town, { scope: "agent", ref: agent.name, usd: 10, by: "cli" });
    await setBudget(town, { scope: "town", usd: 100, by: "cli" });
    expect(await budgetLimits(town, run)).toEqual({ task: 2.5, agentDay: 10, townDay: 100 });
    await setBudget(town, { scope: "task", ref: task.id, usd: null, by: "cli" });
    await setBudget(town, { scope: "town", usd: null, by: "cli" });
    expect(await budgetLimits(town, run)).toEqual({ task: 1, agentDay: 10, townDay: null });
    const events = (await readEvents(town, { count: 1000 })).filter((e) => e.type === "budget.set");
    expect(events[0]).toMatchObject({ by: "ada", scope: "task", taskId: task.id, usd: 2.5 });
    expect(events.at(-1)).toMatchObject({ scope: "town", usd: null });
  });

  test("bad input is refused and changes nothing", async () => {
    const before = await town.redis.hgetall(town.keys.budgets);
    const err = async (p: Promise<unknown>, code: "VALIDATION" | "NOT_FOUND") => {
      const e = await p.catch((x: unknown) => x);
      expect(isCoreError(e, code), String(e)).toBe(true);
    };
    await err(setBudget(town, { scope: "task", ref: "nope-nope", usd: 1, by: "cli" }), "NOT_FOUND");
    await err(setBudget(town, { scope: "agent", ref: "ghost", usd: 1, by: "cli" }), "NOT_FOUND");
    await err(setBudget(town, { scope: "town", ref: "x", usd: 1, by: "cli" }), "VALIDATION");
    await err(setBudget(town, { scope: "task", usd: 1, by: "cli" }), "VALIDATION");
    await err(setBudget(town, { scope: "town", usd: -3, by: "cli" }), "VALIDATION");
    await err(setBudget(town, { scope: "town", usd: Number.NaN, by: "cli" }), "VALIDATION");
    expect(await town.redis.hgetall(town.keys.budgets)).toEqual(before);
  });

  test("the batch that reaches the task's budget says stop; no new run starts until it is raised", async () => {
    const { task, run } = await fixture();
    const id = { ...run, runId: `${task.id}.1`, model: "claude" };
    const limits = await budgetLimits(town, run);
    const first = await recordActivity(town, id, cost(0.6, 1));
    expect(checkBudget(limits, first.spend)).toEqual({ ok: true });
    const second = await recordActivity(town, id, cost(0.45, 2));
    expect(checkBudget(limits, second.spend)).toMatchObject({
      ok: false,
      scope: "task",
      reason: "task budget $1.00 reached after $1.05",
    });
    expect(await checkRunBudget(town, run)).toMatchObject({ ok: false, scope: "task" });
    await setBudget(town, { scope: "task", ref: task.id, usd: 2, by: "cli" });
    expect(await checkRunBudget(town, run)).toEqual({ ok: true });
  });

  test("an agent's daily budget stops its runs today and lets them start again tomorrow", async () => {
    const { agent } = await fixture();
    const today = Date.UTC(2026, 4, 13, 12);
    const t1 = await createTask(town, { description: "a", by: "cli" });
    const t2 = await createTask(town, { description: "b", by: "cli" });
    await recordActivity(
      town,
      { runId: `${t1.id}.1`, taskId: t1.id, agentId: agent.id, model: "claude" },
      cost(0.9, 1),
      today,
    );
    for (let i = 0; i < 5; i++) {
      const t = await createTask(town, { description: `c${i}`, by: "cli" });
      await recordActivity(
        town,
        { runId: `${t.id}.1`, taskId: t.id, agentId: agent.id, model: "claude" },
        cost(0.9, 1),
        today,
      );
    }
    expect(await budgetSpend(town, { taskId: t2.id, agentId: agent.id, now: today })).toEqual({
      task: 0,
      agentDay: 5.4,
      townDay: expect.any(Number) as number,
    });
    expect(await checkRunBudget(town, { taskId: t2.id, agentId: agent.id, now: today })).toMatchObject({
      ok: false,
      scope: "agent",
      reason: "agent's daily budget $5.00 reached after $5.40",
    });
    expect(await checkRunBudget(town, { taskId: t2.id, agentId: agent.id, now: today + 86_400_000 })).toEqual({
      ok: true,
    });
  });
});
