/**
 * Storing a run's activity: each batch of events goes to the task's capped activity stream and, for usage and cost
 * events, into the sums (run, task, agent, agent-day, town, town-day, model-day) in ONE Lua script. Events carry a
 * sequence number per run and the run's hash keeps the last one applied, so a batch sent twice (a retry after a
 * lost reply, a replay after a crash) changes nothing the second time: nothing is counted twice.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { CoreError, validationError } from "../errors";
import type { Town } from "../town/town";
import { totalTokens, type ActivityEvent } from "./activity";
import { dayKey } from "./budget-rules";

export const ACTIVITY_MAX_LEN = 5_000;
export const ACTIVITY_TTL_SEC = 7 * 24 * 3600;
/** Daily sums are kept for a year and a bit; run sums for a month; task, agent and town sums for good. */
export const USAGE_DAY_TTL_SEC = 400 * 24 * 3600;
export const USAGE_RUN_TTL_SEC = 30 * 24 * 3600;

export const ActivityRun = z.object({
  /** Unique per process launch, e.g. `<taskId>.<attempt>.<random>`. */
  runId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, "a run id is 1-200 letters, digits, '.', '_', ':' or '-'"),
  taskId: z.string().min(1).max(200),
  agentId: z.string().min(1).max(200),
  /** The Tinytown model name: the by-model key for usage that names no provider model. */
  model: z.string().min(1).max(128),
});
export type ActivityRun = z.infer<typeof ActivityRun>;

/** Spend after a batch, in USD: what `checkBudget` compares with the limits. */
export interface RecordResult {
  /** Events of the batch stored now (0 when it had been stored before). */
  applied: number;
  /** The last sequence number stored for the run. */
  lastSeq: number;
  spend: { task: number; agentDay: number; townDay: number };
}

const SCRIPT = `
local batch = cjson.decode(ARGV[1])
local models = cjson.decode(ARGV[7])
local last = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0')
local first = last == 0
local applied = 0
local FIELDS = {'input', 'output', 'cacheRead', 'cacheWrite', 'unpriced', 'costMicros'}
for _, e in ipairs(batch) do
  local seq = tonumber(e[1])
  if seq > last then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'run', ARGV[2], 'seq', e[1], 'data', e[2])
    local u = e[4]
    if u then
      local targets = {2, 3, 4, 5, 6, 7}
      local mi = tonumber(e[3])
      if mi > 0 then
        targets[#targets + 1] = mi
        redis.call('SADD', KEYS[8], models[mi - 8])
      end
      for i, f in ipairs(FIELDS) do
        if u[i] ~= '0' then
          for _, k in ipairs(targets) do redis.call('HINCRBY', KEYS[k], f, u[i]) end
        end
      end
    end
    last = seq
    applied = applied + 1
  end
end
if applied > 0 then
  if first then
    for _, k in ipairs({3, 4, 5, 6, 7}) do redis.call('HINCRBY', KEYS[k], 'runs', 1) end
  end
  redis.call('HSET', KEYS[2], 'seq', last, 'task', ARGV[8], 'agent', ARGV[9], 'model', ARGV[10])
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  redis.call('EXPIRE', KEYS[2], ARGV[6])
  for k = 5, #KEYS do
    if k ~= 6 then redis.call('EXPIRE', KEYS[k], ARGV[5]) end
  end
end
local function micros(k) return redis.call('HGET', KEYS[k], 'costMicros') or '0' end
return {applied, last, micros(3), micros(5), micros(7)}
`;

type RecordRedis = Redis & {
  ttRecordActivity(numKeys: number, ...args: string[]): Promise<[number, number, string, string, string]>;
};

function withScript(redis: Redis): RecordRedis {
  const r = redis as RecordRedis;
  if (typeof r.ttRecordActivity !== "function") redis.defineCommand("ttRecordActivity", { lua: SCRIPT });
  return r;
}

/** A model id as a key part: anything unusual becomes `_`. */
export const usageModelKey = (model: string) => model.replace(/[^A-Za-z0-9._:@/-]/g, "_").slice(0, 128) || "_";

/** The sums an event adds: [input, output, cacheRead, cacheWrite, unpriced tokens, cost µ$]; null for the others. */
function increments(e: ActivityEvent): string[] | null {
  if (e.kind === "usage") {
    const t = e.tokens;
    return [t.input, t.output, t.cacheRead, t.cacheWrite, e.unpriced ? totalTokens(t) : 0, 0].map(String);
  }
  if (e.kind === "cost") return ["0", "0", "0", "0", "0", String(Math.round(e.usd * 1e6))];
  return null;
}

/**
 * Stores `events` (with their per-run sequence numbers, increasing) for a run and adds their usage and cost to the
 * sums. Events at or below the run's last stored number are skipped. Returns the spend the budgets check.
 */
export async function recordActivity(
  town: Town,
  run: ActivityRun,
  events: readonly { seq: number; event: ActivityEvent }[],
  now = Date.now(),
): Promise<RecordResult> {
  const r = ActivityRun.safeParse(run);
  if (!r.success) throw validationError("activity run", r.error.issues);
  const k = town.keys;
  const day = dayKey(now, town.config.budgets.timeZone);
  const keys = [
    k.activity(run.taskId),
    k.usageRun(run.runId),
    k.usageTask(run.taskId),
    k.usageAgent(run.agentId),
    k.usageAgentDay(run.agentId, day),
    k.usageTown,
    k.usageTownDay(day),
    k.usageModels(day),
  ];
  const models: string[] = [];
  const batch = events.map(({ seq, event }) => {
    if (!Number.isSafeInteger(seq) || seq < 1)
      throw new CoreError("VALIDATION", `activity sequence numbers are integers from 1; got ${seq}`);
    const entry: (string | number | string[])[] = [String(seq), JSON.stringify(event)];
    const inc = increments(event);
    if (inc) {
      const model = usageModelKey(("model" in event && event.model) || run.model);
      let i = models.indexOf(model);
      if (i < 0) {
        models.push(model);
        keys.push(k.usageModelDay(day, model));
        i = models.length - 1;
      }
      entry.push(i + 9, inc);
    }
    return entry;
  });
  const [applied, lastSeq, task, agentDay, townDay] = await withScript(town.redis).ttRecordActivity(
    keys.length,
    ...keys,
    JSON.stringify(batch),
    run.runId,
    String(ACTIVITY_MAX_LEN),
    String(ACTIVITY_TTL_SEC),
    String(USAGE_DAY_TTL_SEC),
    String(USAGE_RUN_TTL_SEC),
    JSON.stringify(models),
    run.taskId,
    run.agentId,
    run.model,
  );
  return {
    applied: Number(applied),
    lastSeq: Number(lastSeq),
    spend: { task: Number(task) / 1e6, agentDay: Number(agentDay) / 1e6, townDay: Number(townDay) / 1e6 },
  };
}

/**
 * A run's recorder: numbers its events and stores them in order. `record` may be called again with the same
 * batch after a failure (`retry`), which then changes nothing that was stored.
 */
export function createActivityRecorder(town: Town, run: ActivityRun) {
  let seq = 0;
  let pending: { seq: number; event: ActivityEvent }[] = [];
  return {
    /** Numbers and stores `events` (plus any batch a failed call left behind). */
    async record(events: readonly ActivityEvent[], now?: number): Promise<RecordResult> {
      for (const event of events) pending.push({ seq: ++seq, event });
      const batch = pending;
      const result = await recordActivity(town, run, batch, now);
      if (pending === batch) pending = [];
      return result;
    },
    get seq() {
      return seq;
    },
  };
}
