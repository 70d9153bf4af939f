/**
 * Sign-in throttling that slows a password guesser without ever locking the real user out. Three rules, each an
 * exponential backoff after a few free failures (delay = base · 2^(failures − free), capped):
 *
 * - per user and client: a guesser at one address soon waits minutes between guesses;
 * - per client, across user names: one address cannot spray many accounts;
 * - per user, across all clients: once an account has many failures, every client that has itself failed on it
 *   waits between its attempts, at most {@link LOGIN_POLICY}.user.capMs. A client with no failure on that account
 *   (the real user at their own address) is never held back by what others did, so hammering an account from
 *   elsewhere cannot keep its owner out.
 *
 * An attempt that arrives during its backoff is refused at once, before any password is hashed. An attempt that
 * is let through counts as a failure from the moment it starts (so a parallel batch cannot slip past the limit);
 * a success takes that back and clears the user/client counter. Backoffs run from the end of the last failed check.
 * Counters expire a window after the last failure.
 */
import { isIPv6 } from "node:net";

import { eventPlan } from "../channel/events";
import { CoreError } from "../errors";
import { applyPlan } from "../redis/atomic";
import type { Town } from "../town/town";
import { getUser, type User } from "./users";

export interface BackoffRule {
  /** Failures before any delay. */
  free: number;
  /** The first delay; each further failure doubles it. */
  baseMs: number;
  capMs: number;
}

export const LOGIN_POLICY = {
  /** Counters are forgotten this long after their last failure. */
  windowMs: 15 * 60_000,
  pair: { free: 5, baseMs: 1_000, capMs: 10 * 60_000 },
  client: { free: 20, baseMs: 1_000, capMs: 10 * 60_000 },
  user: { free: 10, baseMs: 1_000, capMs: 30_000 },
} as const satisfies LoginPolicy;

/** The sign-in throttle's numbers (tests use slower ones, so that no assertion races the clock). */
export interface LoginPolicy {
  windowMs: number;
  pair: BackoffRule;
  client: BackoffRule;
  user: BackoffRule;
}

/** The wait after `failures` failures under `rule` (0 while free). */
export function backoffMs(failures: number, rule: BackoffRule): number {
  if (failures < rule.free) return 0;
  return Math.min(rule.baseMs * 2 ** (failures - rule.free), rule.capMs);
}

/**
 * The client a counter belongs to: an IPv4 address as is (also when IPv4-mapped), an IPv6 address by its /64
 * (one subscriber usually holds a whole /64, so counting single addresses would give them billions of tries).
 */
export function clientKey(ip: string): string {
  let a = (ip || "unknown").trim().toLowerCase();
  if (a.startsWith("[") && a.endsWith("]")) a = a.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1]!;
  if (isIPv6(a)) return `${expandIPv6(a).slice(0, 4).join(":")}::/64`;
  return a.slice(0, 64);
}

function expandIPv6(a: string): string[] {
  const [head, tail = ""] = a.split("::");
  const h = head ? head.split(":") : [];
  const t = a.includes("::") && tail ? tail.split(":") : [];
  const groups = a.includes("::") ? [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t] : h;
  return groups.map((g) => (g.includes(".") ? g : g.replace(/^0+(?=.)/, "")));
}

/** Refusal of an attempt during its backoff. */
export function rateLimited(name: string, waitMs: number, scope: "pair" | "user" | "client"): CoreError {
  const s = Math.max(1, Math.ceil(waitMs / 1000));
  const where =
    scope === "client" ? "from this address" : scope === "pair" ? `for "${name}" from this address` : `for "${name}"`;
  return new CoreError("UNAUTHORIZED", `too many failed sign-ins ${where}: try again in ${s} s`, {
    reason: "rate_limited",
    retryAfterMs: waitMs,
    scope,
  });
}

// KEYS: user hash, client hash. ARGV: client field, window, then free/base/cap of pair, client, user.
const BEGIN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function delay(f, i)
  local free, base, cap = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  if f < free then return 0 end
  return math.min(base * 2 ^ (f - free), cap)
end
local uf = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
local pf, plast = 0, 0
local pair = redis.call('HGET', KEYS[1], ARGV[1])
if pair then
  local i = string.find(pair, ':')
  pf, plast = tonumber(string.sub(pair, 1, i - 1)), tonumber(string.sub(pair, i + 1))
end
local cf = tonumber(redis.call('HGET', KEYS[2], 'f') or '0')
local clast = tonumber(redis.call('HGET', KEYS[2], 'last') or '0')
local wait, scope = 0, ''
local w = plast + delay(pf, 3) - now
if pf > 0 and w > wait then wait, scope = w, 'pair' end
w = plast + delay(uf, 9) - now
if pf > 0 and w > wait then wait, scope = w, 'user' end
w = clast + delay(cf, 6) - now
if cf > 0 and w > wait then wait, scope = w, 'client' end
if wait > 0 then return {'WAIT', math.ceil(wait), scope} end
redis.call('HINCRBY', KEYS[1], 'f', 1)
redis.call('HSET', KEYS[1], ARGV[1], (pf + 1) .. ':' .. now)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], 'f', 1)
redis.call('HSET', KEYS[2], 'last', now)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {'OK'}
`;

// KEYS: user hash, client hash. ARGV: client field, outcome: 'failure' (the backoff runs from now), 'success'
// (clear this user's failures at this client) or 'void' (never checked: take the attempt back).
const END = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pair = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == 'failure' then
  if pair then redis.call('HSET', KEYS[1], ARGV[1], string.sub(pair, 1, string.find(pair, ':')) .. now) end
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HSET', KEYS[2], 'last', now) end
  return 1
end
local function dec(key)
  if tonumber(redis.call('HGET', key, 'f') or '0') > 0 then redis.call('HINCRBY', key, 'f', -1) end
end
dec(KEYS[1])
dec(KEYS[2])
if not pair then return 0 end
local i = string.find(pair, ':')
local pf = tonumber(string.sub(pair, 1, i - 1))
if ARGV[2] == 'success' or pf <= 1 then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], (pf - 1) .. string.sub(pair, i))
end
return 1
`;

type ThrottleRedis = Town["redis"] & {
  ttLoginBegin(k1: string, k2: string, ...argv: (string | number)[]): Promise<[string, number?, string?]>;
  ttLoginEnd(k1: string, k2: string, field: string, outcome: string): Promise<number>;
};

function scripts(town: Town): ThrottleRedis {
  const r = town.redis as ThrottleRedis;
  if (typeof r.ttLoginBegin !== "function") {
    town.redis.defineCommand("ttLoginBegin", { numberOfKeys: 2, lua: BEGIN });
    town.redis.defineCommand("ttLoginEnd", { numberOfKeys: 2, lua: END });
  }
  return r;
}

const ruleArgs = (r: BackoffRule) => [r.free, r.baseMs, r.capMs];

/**
 * Starts one password check of `user` from `client` (see {@link clientKey}): refuses it with UNAUTHORIZED
 * (`reason: "rate_limited"`, `retryAfterMs`) while a backoff is running, otherwise counts it as a failure until
 * {@link endAttempt} says otherwise.
 */
export async function beginAttempt(
  town: Town,
  user: string,
  client: string,
  p: LoginPolicy = LOGIN_POLICY,
): Promise<void> {
  const [status, wait, scope] = await scripts(town).ttLoginBegin(
    town.keys.loginUser(user),
    town.keys.loginClient(client),
    `c:${client}`,
    p.windowMs,
    ...ruleArgs(p.pair),
    ...ruleArgs(p.client),
    ...ruleArgs(p.user),
  );
  if (status === "WAIT") throw rateLimited(user, Number(wait), scope as "pair" | "user" | "client");
}

/**
 * Ends an attempt begun with {@link beginAttempt}. `failure`: it stays counted and the backoff runs from now (not
 * from when the attempt began: waiting for the hash must not use up the wait). `success`: it is taken back and this
 * user's failures at this client are cleared. `void`: it is only taken back (the password was never checked).
 */
export async function endAttempt(
  town: Town,
  user: string,
  client: string,
  outcome: "failure" | "success" | "void",
): Promise<void> {
  await scripts(town).ttLoginEnd(town.keys.loginUser(user), town.keys.loginClient(client), `c:${client}`, outcome);
}

/** Forgets every failed sign-in of a user (from every client), so that no backoff holds them; audited. */
export async function unlockUser(town: Town, input: { name: string; by: string }): Promise<User> {
  const user = await getUser(town, input.name);
  await applyPlan(town.redis, {
    expect: [],
    del: [town.keys.loginUser(user.name)],
    event: eventPlan(town, "user.unlocked", input.by, { user: user.name }),
  });
  return user;
}
