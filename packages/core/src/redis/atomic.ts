/**
 * Every state change in the town goes through `applyPlan`: one Lua script that first checks the versions
 * (and absent fields) the caller read, and only then applies all writes and appends one event. The domain
 * code computes the plan from a snapshot; the script guarantees the snapshot is still current. A stale
 * snapshot changes nothing and is reported so that the caller can re-read or fail with CONFLICT.
 */
import type { Redis } from "ioredis";

export interface WritePlan {
  /** Hashes whose `version` field must equal the given value; `null` means the key must not exist. */
  expect: { key: string; version: number | null }[];
  /** Hash fields that must not exist (uniqueness of names). */
  absent?: { key: string; field: string }[];
  hset?: { key: string; fields: Record<string, string | number> }[];
  hdel?: { key: string; fields: string[] }[];
  zadd?: { key: string; score: number; member: string }[];
  zrem?: { key: string; member: string }[];
  del?: string[];
  /** Appends to capped lists (e.g. a task's history): RPUSH then LTRIM to the last `max` entries. */
  rpush?: { key: string; value: string; max: number }[];
  event?: PlanEvent;
  /**
   * More events appended after `event`, in order, in the same script (e.g. a run's start: the task's event, then
   * its agent's). History entries (`rpush`) carry the id of `event`.
   */
  events?: PlanEvent[];
}

export interface PlanEvent {
  stream: string;
  maxLen: number;
  type: string;
  data: Record<string, unknown>;
}

export type PlanResult =
  | { ok: true; eventId: string | null }
  | { ok: false; reason: "stale"; key: string; version: number | null }
  | { ok: false; reason: "exists"; key: string }
  | { ok: false; reason: "taken"; key: string; field: string };

const SCRIPT = `
local p = cjson.decode(ARGV[1])
for _, e in ipairs(p.x) do
  if e[2] == '' then
    if redis.call('EXISTS', KEYS[e[1]]) == 1 then return {'EXISTS', e[1]} end
  else
    local v = redis.call('HGET', KEYS[e[1]], 'version')
    if v ~= e[2] then return {'STALE', e[1], v or ''} end
  end
end
for _, a in ipairs(p.a) do
  if redis.call('HEXISTS', KEYS[a[1]], a[2]) == 1 then return {'TAKEN', a[1], a[2]} end
end
for _, h in ipairs(p.hs) do redis.call('HSET', KEYS[h[1]], unpack(h[2])) end
for _, h in ipairs(p.hd) do redis.call('HDEL', KEYS[h[1]], unpack(h[2])) end
for _, z in ipairs(p.za) do redis.call('ZADD', KEYS[z[1]], z[2], z[3]) end
for _, z in ipairs(p.zr) do redis.call('ZREM', KEYS[z[1]], z[2]) end
for _, k in ipairs(p.d) do redis.call('DEL', KEYS[k]) end
local id = ''
if p.e then
  id = redis.call('XADD', KEYS[p.e[1]], 'MAXLEN', '~', p.e[2], '*', 'type', p.e[3], 'data', p.e[4])
end
for _, r in ipairs(p.rp) do
  local v = r[2]
  if p.e then v = string.sub(v, 1, -2) .. ',"id":"' .. id .. '","type":"' .. p.e[3] .. '"}' end
  redis.call('RPUSH', KEYS[r[1]], v)
  redis.call('LTRIM', KEYS[r[1]], -tonumber(r[3]), -1)
end
for _, e in ipairs(p.es) do
  redis.call('XADD', KEYS[e[1]], 'MAXLEN', '~', e[2], '*', 'type', e[3], 'data', e[4])
end
return {'OK', id}
`;

type PlanRedis = Redis & { ttApplyPlan(numKeys: number, ...args: string[]): Promise<string[]> };

function withScript(redis: Redis): PlanRedis {
  const r = redis as PlanRedis;
  if (typeof r.ttApplyPlan !== "function") redis.defineCommand("ttApplyPlan", { lua: SCRIPT });
  return r;
}

/** Applies a plan atomically. Keys are passed as KEYS (never built in Lua) so the script is Cluster-safe. */
export async function applyPlan(redis: Redis, plan: WritePlan): Promise<PlanResult> {
  const keys: string[] = [];
  const index = new Map<string, number>();
  const k = (key: string) => {
    let i = index.get(key);
    if (i === undefined) {
      keys.push(key);
      i = keys.length;
      index.set(key, i);
    }
    return i;
  };
  const encodeEvent = (e: PlanEvent) => [k(e.stream), String(e.maxLen), e.type, JSON.stringify(e.data)];
  const encoded = {
    x: plan.expect.map((e) => [k(e.key), e.version === null ? "" : String(e.version)]),
    a: (plan.absent ?? []).map((a) => [k(a.key), a.field]),
    hs: (plan.hset ?? []).map((h) => [k(h.key), Object.entries(h.fields).flatMap(([f, v]) => [f, String(v)])]),
    hd: (plan.hdel ?? []).filter((h) => h.fields.length > 0).map((h) => [k(h.key), h.fields]),
    za: (plan.zadd ?? []).map((z) => [k(z.key), String(z.score), z.member]),
    zr: (plan.zrem ?? []).map((z) => [k(z.key), z.member]),
    d: (plan.del ?? []).map((key) => k(key)),
    rp: (plan.rpush ?? []).map((r) => [k(r.key), r.value, String(r.max)]),
    e: plan.event ? encodeEvent(plan.event) : undefined,
    es: (plan.events ?? []).map(encodeEvent),
  };
  // cjson decodes an empty JSON array as an empty table, which ipairs handles; hset with no fields is dropped.
  encoded.hs = encoded.hs.filter((h) => (h[1] as string[]).length > 0);
  const reply = await withScript(redis).ttApplyPlan(keys.length, ...keys, JSON.stringify(encoded));
  const [status, a, b] = reply as unknown as [string, number | string, string];
  const keyAt = (i: number | string) => keys[Number(i) - 1] ?? "";
  if (status === "OK") return { ok: true, eventId: a ? String(a) : null };
  if (status === "STALE") return { ok: false, reason: "stale", key: keyAt(a), version: b ? Number(b) : null };
  if (status === "EXISTS") return { ok: false, reason: "exists", key: keyAt(a) };
  return { ok: false, reason: "taken", key: keyAt(a), field: String(b) };
}
