import type { Command } from "commander";
import {
  BUDGET_SCOPES,
  budgetLimits,
  budgetSpend,
  CoreError,
  formatUsd,
  listAgents,
  setBudget,
  type BudgetScope,
} from "@tinytown/core";
import type { Ctx } from "../context";
import { cell, table } from "../output";

/** `5`, `$5`, `2.50`: a positive amount in USD; `none` (or `default`): back to the config's default. */
function usdArg(v: string | undefined): number | null {
  const raw = (v ?? "").trim();
  if (raw === "none" || raw === "default") return null;
  const n = Number(raw.replace(/^\$/, ""));
  if (!raw || !Number.isFinite(n) || n <= 0)
    throw new CoreError("VALIDATION", `"${raw}" is not an amount: give US dollars such as 5 or 2.50, or none`);
  return n;
}

/** `tt budget set|show`: spending limits that stop runs (packages/core/src/sessions/README.md). */
export function registerBudgetCommands(program: Command, ctx: Ctx) {
  const { paint } = ctx;
  const budget = program
    .command("budget")
    .description("spending limits: per task, per agent per day, per town per day; a run that reaches one is stopped");

  budget
    .command("set <scope> <ref-or-usd> [usd]")
    .description(
      "set a budget: `task <task> <usd>`, `agent <agent> <usd>` (per day), `town <usd>` (per day); `none` goes back " +
        "to the config's default. Raising a reached budget lets runs start again at once",
    )
    .action(async (scope: string, a: string, b: string | undefined) => {
      if (!(BUDGET_SCOPES as readonly string[]).includes(scope))
        throw new CoreError("VALIDATION", `unknown budget scope "${scope}": use task, agent or town`);
      const s = scope as BudgetScope;
      if (s !== "town" && b === undefined)
        throw new CoreError(
          "VALIDATION",
          `a ${s} budget names its ${s} and an amount: tt budget set ${s} <${s}> <usd>`,
        );
      if (s === "town" && b !== undefined)
        throw new CoreError("VALIDATION", "the town's budget takes only an amount: tt budget set town <usd>");
      const usd = usdArg(s === "town" ? a : b);
      const town = await ctx.town();
      const r = await setBudget(town, { scope: s, ...(s === "town" ? {} : { ref: a }), usd, by: ctx.actor });
      const what =
        r.scope === "town"
          ? "the town (per day)"
          : `${r.scope} ${r.id!.slice(0, 8)}${r.scope === "agent" ? " (per day)" : ""}`;
      ctx.emit(r, () =>
        r.usd === null
          ? `${paint("green", "✓")} ${what}: back to the config's default\n`
          : `${paint("green", "✓")} ${what}: ${formatUsd(r.usd)}\n`,
      );
    });

  budget
    .command("show")
    .description("the daily limits and what was spent today, for the town and each agent")
    .action(async () => {
      const town = await ctx.town();
      const agents = await listAgents(town);
      const rows = await Promise.all(
        agents.map(async (a) => {
          const ids = { taskId: "-", agentId: a.id };
          const [limits, spend] = await Promise.all([budgetLimits(town, ids), budgetSpend(town, ids)]);
          return {
            agent: a.name,
            agentId: a.id,
            limitUsd: limits.agentDay,
            spentTodayUsd: spend.agentDay,
          };
        }),
      );
      const ids = { taskId: "-", agentId: "-" };
      const [limits, spend] = await Promise.all([budgetLimits(town, ids), budgetSpend(town, ids)]);
      const out = {
        town: { limitUsd: limits.townDay, spentTodayUsd: spend.townDay },
        taskDefaultUsd: town.config.budgets.taskUsd ?? null,
        timeZone: town.config.budgets.timeZone,
        agents: rows.map(({ agent, agentId, limitUsd, spentTodayUsd }) => ({
          agent,
          agentId,
          limitUsd,
          spentTodayUsd,
        })),
      };
      const lim = (v: number | null) => (v === null ? paint("dim", "none") : formatUsd(v));
      ctx.emit(out, () =>
        [
          `${paint("bold", "Town")}   ${formatUsd(out.town.spentTodayUsd)} spent today of ${lim(out.town.limitUsd)} (days in ${out.timeZone})`,
          `${paint("bold", "Tasks")}  ${lim(out.taskDefaultUsd)} each by default`,
          "",
          out.agents.length === 0
            ? "no agents\n"
            : table(
                out.agents.map((r) => [cell(r.agent, 64), formatUsd(r.spentTodayUsd), lim(r.limitUsd)]),
                ["AGENT", "TODAY", "DAILY LIMIT"],
                paint,
              ),
        ].join("\n"),
      );
    });
}
