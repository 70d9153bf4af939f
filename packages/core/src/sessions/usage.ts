/**
 * Reading the usage sums `recordActivity` keeps: per run, task (cards, task page), agent (agent page: today, the
 * last 7 days, all time), town (overview: today, the last 7 days, by model) and the gauges of `/api/metrics`.
 * "This week" is the 7 days ending today, in the town's budget time zone.
 */
import type { Town } from "../town/town";
import type { Tokens } from "./activity";
import { lastDays } from "./budget-rules";

export interface UsageTotals {
  tokens: Tokens;
  /** Tokens without a known price: their cost is missing from `usd`. */
  unpricedTokens: number;
  usd: number;
  /** Runs that recorded activity. */
  runs: number;
}

export const ZERO_USAGE: UsageTotals = Object.freeze({
  tokens: Object.freeze({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }),
  unpricedTokens: 0,
  usd: 0,
  runs: 0,
});

/** A usage hash → totals (a missing hash is all zeros). */
export function parseUsage(h: Record<string, string> | null | undefined): UsageTotals {
  const n = (f: string) => Number(h?.[f] ?? 0) || 0;
  return {
    tokens: { input: n("input"), output: n("output"), cacheRead: n("cacheRead"), cacheWrite: n("cacheWrite") },
    unpricedTokens: n("unpriced"),
    usd: n("costMicros") / 1e6,
    runs: n("runs"),
  };
}

/** Adds totals. */
export function sumUsage(list: readonly UsageTotals[]): UsageTotals {
  const out = { tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, unpricedTokens: 0, micros: 0, runs: 0 };
  for (const u of list) {
    out.tokens.input += u.tokens.input;
    out.tokens.output += u.tokens.output;
    out.tokens.cacheRead += u.tokens.cacheRead;
    out.tokens.cacheWrite += u.tokens.cacheWrite;
    out.unpricedTokens += u.unpricedTokens;
    out.micros += Math.round(u.usd * 1e6);
    out.runs += u.runs;
  }
  return { tokens: out.tokens, unpricedTokens: out.unpricedTokens, usd: out.micros / 1e6, runs: out.runs };
}

async function hashes(town: Town, keys: string[]): Promise<UsageTotals[]> {
  if (keys.length === 0) return [];
  const pipe = town.redis.pipeline();
  for (const k of keys) pipe.hgetall(k);
  const replies = (await pipe.exec()) ?? [];
  return replies.map(([err, h]) => {
    if (err) throw err;
    return parseUsage(h as Record<string, string>);
  });
}

/** One run's sums, with the task, agent and model it ran. */
export async function getRunUsage(
  town: Town,
  runId: string,
): Promise<UsageTotals & { taskId: string | null; agentId: string | null; model: string | null }> {
  const h = await town.redis.hgetall(town.keys.usageRun(runId));
  return { ...parseUsage(h), taskId: h.task ?? null, agentId: h.agent ?? null, model: h.model ?? null };
}

/** A task's sums over all its runs. */
export async function getTaskUsage(town: Town, taskId: string): Promise<UsageTotals> {
  return parseUsage(await town.redis.hgetall(town.keys.usageTask(taskId)));
}

/** Sums of many tasks at once (a board's cards), by task id. */
export async function getTasksUsage(town: Town, taskIds: readonly string[]): Promise<Record<string, UsageTotals>> {
  const list = await hashes(
    town,
    taskIds.map((id) => town.keys.usageTask(id)),
  );
  return Object.fromEntries(taskIds.map((id, i) => [id, list[i]!]));
}

export interface DayUsage {
  day: string;
  usage: UsageTotals;
}

/** An agent's sums: today, each of the last `days` days (oldest first), their total, and all time. */
export async function getAgentUsage(
  town: Town,
  agentId: string,
  opts: { now?: number; days?: number } = {},
): Promise<{ today: UsageTotals; week: UsageTotals; days: DayUsage[]; total: UsageTotals }> {
  const days = lastDays(opts.now ?? Date.now(), opts.days ?? 7, town.config.budgets.timeZone);
  const list = await hashes(town, [
    ...days.map((d) => town.keys.usageAgentDay(agentId, d)),
    town.keys.usageAgent(agentId),
  ]);
  const perDay = days.map((day, i) => ({ day, usage: list[i]! }));
  return {
    today: list[days.length - 1]!,
    week: sumUsage(perDay.map((d) => d.usage)),
    days: perDay,
    total: list[days.length]!,
  };
}

export interface ModelUsage {
  model: string;
  today: UsageTotals;
  week: UsageTotals;
}

/** The town's sums for the overview: today, each of the last `days` days, their total, by model, and all time. */
export async function getTownUsage(
  town: Town,
  opts: { now?: number; days?: number } = {},
): Promise<{ today: UsageTotals; week: UsageTotals; days: DayUsage[]; byModel: ModelUsage[]; total: UsageTotals }> {
  const tz = town.config.budgets.timeZone;
  const days = lastDays(opts.now ?? Date.now(), opts.days ?? 7, tz);
  const pipe = town.redis.pipeline();
  for (const d of days) pipe.smembers(town.keys.usageModels(d));
  const modelsByDay = ((await pipe.exec()) ?? []).map(([err, m]) => {
    if (err) throw err;
    return m as string[];
  });
  const pairs = days.flatMap((d, i) => modelsByDay[i]!.map((m) => [d, m] as const));
  const list = await hashes(town, [
    ...days.map((d) => town.keys.usageTownDay(d)),
    town.keys.usageTown,
    ...pairs.map(([d, m]) => town.keys.usageModelDay(d, m)),
  ]);
  const perDay = days.map((day, i) => ({ day, usage: list[i]! }));
  const today = days[days.length - 1]!;
  const byModel = new Map<string, { today: UsageTotals[]; week: UsageTotals[] }>();
  pairs.forEach(([d, m], i) => {
    const u = list[days.length + 1 + i]!;
    const entry = byModel.get(m) ?? { today: [], week: [] };
    entry.week.push(u);
    if (d === today) entry.today.push(u);
    byModel.set(m, entry);
  });
  return {
    today: list[days.length - 1]!,
    week: sumUsage(perDay.map((d) => d.usage)),
    days: perDay,
    byModel: [...byModel]
      .map(([model, u]) => ({ model, today: sumUsage(u.today), week: sumUsage(u.week) }))
      .sort((a, b) => b.week.usd - a.week.usd || a.model.localeCompare(b.model)),
    total: list[days.length]!,
  };
}

export interface Gauge {
  name: string;
  help: string;
  type: "gauge" | "counter";
  values: { labels: Record<string, string>; value: number }[];
}

/**
 * Usage in the shape of Prometheus metrics (for `/api/metrics`): all-time cost and tokens (counters), and
 * today's cost and tokens by model (gauges). The transport adds the `town` label and formats them.
 */
export async function usageGauges(town: Town, now = Date.now()): Promise<Gauge[]> {
  const u = await getTownUsage(town, { now, days: 1 });
  const kinds = (t: Tokens) => (Object.keys(t) as (keyof Tokens)[]).map((kind) => ({ kind, value: t[kind] }));
  return [
    {
      name: "tinytown_cost_usd_total",
      help: "What the town's agents cost, in US dollars (reported by the CLIs or priced from tokens).",
      type: "counter",
      values: [{ labels: {}, value: u.total.usd }],
    },
    {
      name: "tinytown_tokens_total",
      help: "Tokens the town's agents used, by kind (input, output, cacheRead, cacheWrite).",
      type: "counter",
      values: kinds(u.total.tokens).map(({ kind, value }) => ({ labels: { kind }, value })),
    },
    {
      name: "tinytown_cost_usd_today",
      help: "Today's cost by model, in US dollars (days in the town's budget time zone).",
      type: "gauge",
      values: u.byModel.map((m) => ({ labels: { model: m.model }, value: m.today.usd })),
    },
    {
      name: "tinytown_tokens_today",
      help: "Today's tokens by model and kind.",
      type: "gauge",
      values: u.byModel.flatMap((m) =>
        kinds(m.today.tokens).map(({ kind, value }) => ({ labels: { model: m.model, kind }, value })),
      ),
    },
  ];
}
