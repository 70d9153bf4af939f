/**
 * Messages handed to a run. A message leaves an agent's inbox only when the run that read it has ended: the runner
 * moves the messages it puts in a prompt into the agent's in-flight set (`inflight:<agentId>`, same members and
 * scores), tagged with the run (`<taskId>:<attempt>`). When the task leaves `running` the set is settled: deleted
 * when the run ended normally (completed, or failed by the agent or its exit code), given back to the inbox with
 * the original scores (so the original order holds) when the run was cut (requeued, cancelled, timed out, lost).
 * Each step is one Lua script, so a message is always in exactly one of the two sets.
 */
import type { Redis } from "ioredis";
import type { Message } from "../message/message";
import type { Town } from "../town/town";

/** KEYS: inbox, inflight, run tag. ARGV: tag, max, types to leave in the inbox… */
const TAKE = `
local cur = redis.call('GET', KEYS[3])
if cur and cur ~= ARGV[1] then
  local held = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  for i = 1, #held, 2 do redis.call('ZADD', KEYS[1], held[i + 1], held[i]) end
  redis.call('DEL', KEYS[2], KEYS[3])
end
local skip = {}
for i = 3, #ARGV do skip[ARGV[i]] = true end
local taken = {}
local raws = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES')
for i = 1, #raws, 2 do
  local ok, m = pcall(cjson.decode, raws[i])
  if not (ok and type(m) == 'table' and skip[m.type]) then
    redis.call('ZREM', KEYS[1], raws[i])
    redis.call('ZADD', KEYS[2], raws[i + 1], raws[i])
    taken[#taken + 1] = raws[i]
  end
end
if #taken > 0 then redis.call('SET', KEYS[3], ARGV[1]) end
return taken
`;

/** KEYS: inbox, inflight, run tag. ARGV: tag, 'return' | 'consume'. Returns how many were settled (-1: another run holds them). */
const SETTLE = `
local cur = redis.call('GET', KEYS[3])
if not cur then return 0 end
if cur ~= ARGV[1] then return -1 end
local held = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
if ARGV[2] == 'return' then
  for i = 1, #held, 2 do redis.call('ZADD', KEYS[1], held[i + 1], held[i]) end
end
redis.call('DEL', KEYS[2], KEYS[3])
return #held / 2
`;

type InflightRedis = Redis & {
  ttTakeForRun(inbox: string, inflight: string, tag: string, ...argv: (string | number)[]): Promise<string[]>;
  ttSettleRun(inbox: string, inflight: string, tag: string, runTag: string, mode: string): Promise<number>;
};

function withScripts(redis: Redis): InflightRedis {
  const r = redis as InflightRedis;
  if (typeof r.ttTakeForRun !== "function") {
    redis.defineCommand("ttTakeForRun", { numberOfKeys: 3, lua: TAKE });
    redis.defineCommand("ttSettleRun", { numberOfKeys: 3, lua: SETTLE });
  }
  return r;
}

/** The tag of one run of a task: its id and attempt number (constant while it runs). */
export const runTag = (taskId: string, attempt: number) => `${taskId}:${attempt}`;

export interface TakeForRunInput {
  agentId: string;
  taskId: string;
  /** The task's `attempts` after startTask. */
  attempt: number;
  /** At most this many messages (default 100); the rest stay in the inbox for the next run. */
  max?: number;
  /** Message types left in the inbox (the runner handles control messages itself). */
  leave?: readonly string[];
}

/**
 * Moves the next messages of an agent's inbox (in receive order) into its in-flight set for one run and returns
 * them. Messages still held by an earlier run that ended without settling them go back to the inbox first.
 */
export async function takeForRun(town: Town, input: TakeForRunInput): Promise<Message[]> {
  const k = town.keys;
  const raws = await withScripts(town.redis).ttTakeForRun(
    k.inbox(input.agentId),
    k.inflight(input.agentId),
    k.inflightRun(input.agentId),
    runTag(input.taskId, input.attempt),
    Math.max(1, input.max ?? 100),
    ...(input.leave ?? []),
  );
  return raws.map((r) => JSON.parse(r) as Message);
}

export type SettleMode = "consume" | "return";

/**
 * Ends the hold of one run on its messages: `consume` deletes them (the run ended normally), `return` puts them
 * back in the inbox with their original scores. A set held by another run is left alone. Returns how many.
 */
export async function settleRunMessages(
  town: Town,
  input: { agentId: string; taskId: string; attempt: number; mode: SettleMode },
): Promise<number> {
  const k = town.keys;
  const n = await withScripts(town.redis).ttSettleRun(
    k.inbox(input.agentId),
    k.inflight(input.agentId),
    k.inflightRun(input.agentId),
    runTag(input.taskId, input.attempt),
    input.mode,
  );
  return Math.max(0, Number(n));
}

export interface InflightMessages {
  /** The run holding them, or null when none is held. */
  run: { taskId: string; attempt: number } | null;
  messages: Message[];
}

/** The messages an agent's running task has in its prompt, in receive order. */
export async function inflightMessages(town: Town, agentId: string): Promise<InflightMessages> {
  const [[, tag], [, raws]] = (await town.redis
    .multi()
    .get(town.keys.inflightRun(agentId))
    .zrange(town.keys.inflight(agentId), 0, "-1")
    .exec()) as [[unknown, string | null], [unknown, string[]]];
  if (!tag || raws.length === 0) return { run: null, messages: [] };
  const colon = tag.lastIndexOf(":");
  return {
    run: { taskId: tag.slice(0, colon), attempt: Number(tag.slice(colon + 1)) },
    messages: raws.map((r) => JSON.parse(r) as Message),
  };
}
