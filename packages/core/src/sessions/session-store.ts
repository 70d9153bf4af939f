/**
 * What outlives one run of a structured CLI: the task's CLI session (so that a later run of the same task resumes it
 * instead of starting cold) and the provider rate limits the runs ran into (an agent or a lane waits until the reset).
 */
import { z } from "zod";
import { eventPlan } from "../channel/events";
import { validationError } from "../errors";
import { applyPlan } from "../redis/atomic";
import { Actor } from "../refs";
import type { Town } from "../town/town";
import { Protocol, SessionId, Tokens } from "./activity";

export const TaskSession = z.object({
  sessionId: SessionId,
  /** The Tinytown model that ran it: a session is resumed only by the same model. */
  model: z.string().min(1).max(128),
  protocol: Protocol,
  /** codex: the thread's cumulative tokens at the end of the run (the next run's adapter baseline). */
  cumulative: Tokens.nullable(),
  /** The lane (provider account) it ran on: a session lives in one account, so only that lane resumes it. */
  lane: z.string().max(64).nullable().default(null),
  updatedAt: z.number().int(),
});
export type TaskSession = z.infer<typeof TaskSession>;

/** Keeps the task's CLI session for its next run. */
export async function saveTaskSession(
  town: Town,
  taskId: string,
  raw: Omit<z.input<typeof TaskSession>, "updatedAt">,
): Promise<TaskSession> {
  const r = TaskSession.safeParse({ ...raw, updatedAt: Date.now() });
  if (!r.success) throw validationError("task session", r.error.issues);
  const s = r.data;
  await applyPlan(town.redis, {
    expect: [],
    hset: [
      {
        key: town.keys.taskSession(taskId),
        fields: {
          sessionId: s.sessionId,
          model: s.model,
          protocol: s.protocol,
          cumulative: s.cumulative ? JSON.stringify(s.cumulative) : "",
          lane: s.lane ?? "",
          updatedAt: s.updatedAt,
        },
      },
    ],
  });
  return s;
}

/** The task's CLI session, or null (none yet, or unreadable). */
export async function findTaskSession(town: Town, taskId: string): Promise<TaskSession | null> {
  const h = await town.redis.hgetall(town.keys.taskSession(taskId));
  if (!h.sessionId) return null;
  let cumulative: unknown = null;
  try {
    cumulative = h.cumulative ? JSON.parse(h.cumulative) : null;
  } catch {
    /* unreadable: no baseline */
  }
  const r = TaskSession.safeParse({ ...h, cumulative, lane: h.lane || null, updatedAt: Number(h.updatedAt) });
  return r.success ? r.data : null;
}

/** A rate limit's subject: an agent, or one lane (provider account) of a model. */
export type RateLimitSubject = { agentId: string } | { model: string; lane: string };

const subjectField = (s: RateLimitSubject) => ("agentId" in s ? `agent:${s.agentId}` : `lane:${s.model}:${s.lane}`);

export const SetRateLimitedInput = z.object({
  agentId: z.string().min(1).max(200),
  /** Epoch ms of the reset. */
  until: z.number().int().positive(),
  /** The lane that hit the limit (its model and name), when the model has lanes. */
  lane: z.object({ model: z.string().min(1).max(128), name: z.string().min(1).max(64) }).optional(),
  message: z.string().max(1_000).optional(),
  /** Only the lane is limited (another lane of the model is free): the agent itself is not shown as limited. */
  laneOnly: z.boolean().optional(),
  by: Actor,
});
export type SetRateLimitedInput = z.input<typeof SetRateLimitedInput>;

/**
 * Records that a provider refused an agent's run until `until` (and, with a lane, that lane). The agent shows
 * "rate-limited until HH:MM" until then (`agentRateLimits`); an `agent.rate_limited` event tells live views.
 */
export async function setRateLimited(town: Town, raw: SetRateLimitedInput): Promise<void> {
  const r = SetRateLimitedInput.safeParse(raw);
  if (!r.success) throw validationError("rate limit", r.error.issues);
  const { agentId, until, lane, message, laneOnly, by } = r.data;
  const fields: Record<string, number> = laneOnly ? {} : { [subjectField({ agentId })]: until };
  if (lane) fields[subjectField({ model: lane.model, lane: lane.name })] = until;
  await applyPlan(town.redis, {
    expect: [],
    hset: Object.keys(fields).length > 0 ? [{ key: town.keys.rateLimits, fields }] : [],
    event: eventPlan(town, "agent.rate_limited", by, {
      agentId,
      until,
      ...(lane ? { lane: lane.name } : {}),
      ...(message ? { message } : {}),
      ...(laneOnly ? { laneOnly } : {}),
    }),
  });
}

/** Epoch ms until which each subject is rate-limited; subjects whose reset has passed are left out. */
export async function rateLimitedUntil(
  town: Town,
  subjects: readonly RateLimitSubject[],
  now = Date.now(),
): Promise<(number | null)[]> {
  if (subjects.length === 0) return [];
  const vals = await town.redis.hmget(town.keys.rateLimits, ...subjects.map(subjectField));
  return vals.map((v) => (v !== null && Number(v) > now ? Number(v) : null));
}

/**
 * Agents rate-limited now: agent id → epoch ms of the reset (what "rate-limited until 14:05" shows). One HGETALL;
 * the hash holds one field per agent and lane that ever hit a limit.
 */
export async function agentRateLimits(town: Town, now = Date.now()): Promise<Map<string, number>> {
  const all = await town.redis.hgetall(town.keys.rateLimits);
  const out = new Map<string, number>();
  for (const [f, v] of Object.entries(all)) {
    if (f.startsWith("agent:") && Number(v) > now) out.set(f.slice("agent:".length), Number(v));
  }
  return out;
}

/** The agent's rate limit reset (epoch ms), or null when it is not rate-limited now. */
export async function findAgentRateLimit(town: Town, agentId: string, now = Date.now()): Promise<number | null> {
  const [until] = await rateLimitedUntil(town, [{ agentId }], now);
  return until ?? null;
}
