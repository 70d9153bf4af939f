import { randomUUID } from "node:crypto";
import { eventPlan } from "../channel/events";
import { CoreError, validationError } from "../errors";
import { resolveModel } from "../models/models";
import { forwardMessages } from "../channel/forward";
import { applyPlan, type WritePlan } from "../redis/atomic";
import { SUPERVISOR } from "../redis/keys";
import { changePlan, decodeFields, mergePlans, type Codec } from "../redis/entity";
import type { Town } from "../town/town";
import {
  AGENT_STATES,
  AGENT_TRANSITIONS,
  SpawnAgentInput,
  type Agent,
  type AgentAction,
  type AgentState,
} from "./agent";

const CODEC: Codec = {
  numbers: ["createdAt", "lastHeartbeat", "tasksCompleted", "tasksFailed", "version"],
  json: [],
};
const NULLABLE = ["currentTask", "lastHeartbeat", "runner", "error"] as const;

async function readAgent(town: Town, id: string): Promise<Agent | null> {
  return agentFromHash(await town.redis.hgetall(town.keys.agent(id)));
}

/** An agent from its hash (HGETALL); null when the hash is empty (no such agent). */
export function agentFromHash(h: Record<string, string>): Agent | null {
  return h.id ? decodeFields<Agent>(h, CODEC, NULLABLE) : null;
}

/**
 * Finds an agent by name (case-insensitive), full id, or unique id prefix. An ambiguous prefix is an
 * error that lists the candidates; no match returns null.
 */
export async function findAgent(town: Town, ref: string): Promise<Agent | null> {
  const byName = await town.redis.hget(town.keys.agentNames, ref.trim().toLowerCase());
  if (byName) return readAgent(town, byName);
  const exact = await readAgent(town, ref);
  if (exact) return exact;
  if (!/^[0-9a-f-]{1,36}$/i.test(ref)) return null;
  const ids = await town.redis.zrangebylex(
    town.keys.agentIds,
    `[${ref.toLowerCase()}`,
    `[${ref.toLowerCase()}\xff`,
    "LIMIT",
    0,
    10,
  );
  if (ids.length > 1) {
    const agents = (await Promise.all(ids.map((id) => readAgent(town, id)))).filter((a): a is Agent => !!a);
    throw new CoreError(
      "AMBIGUOUS",
      `"${ref}" matches ${ids.length} agents: ${agents.map((a) => `${a.name} (${a.id.slice(0, 8)})`).join(", ")}; use a name or a longer id`,
      { candidates: agents.map((a) => ({ id: a.id, name: a.name })) },
    );
  }
  return ids[0] ? readAgent(town, ids[0]) : null;
}

export async function resolveAgent(town: Town, ref: string): Promise<Agent> {
  const a = await findAgent(town, ref);
  if (!a)
    throw new CoreError("NOT_FOUND", `no agent "${ref}" in town ${town.name}: \`tt list\` shows the agents`, { ref });
  return a;
}

/** Creates an agent in `starting`; a runner picks it up. The model must be a preset or declared in the config. */
export async function spawnAgent(town: Town, raw: SpawnAgentInput): Promise<Agent> {
  const r = SpawnAgentInput.safeParse(raw);
  if (!r.success) throw validationError("agent", r.error.issues);
  const input = r.data;
  resolveModel(town.config.models, input.model);
  const now = Date.now();
  const agent: Agent = {
    id: randomUUID(),
    name: input.name,
    model: input.model,
    state: "starting",
    currentTask: null,
    createdAt: now,
    createdBy: input.by,
    lastHeartbeat: null,
    tasksCompleted: 0,
    tasksFailed: 0,
    runner: null,
    error: null,
    version: 1,
  };
  const k = town.keys;
  const plan = mergePlans(changePlan(k.agent(agent.id), null, agent, CODEC), {
    expect: [],
    absent: [{ key: k.agentNames, field: agent.name }],
    hset: [{ key: k.agentNames, fields: { [agent.name]: agent.id } }],
    zadd: [
      { key: k.agents, score: now, member: agent.id },
      { key: k.agentIds, score: 0, member: agent.id },
      { key: k.agentsByState(agent.state), score: now, member: agent.id },
    ],
    event: eventPlan(town, "agent.spawned", input.by, {
      agentId: agent.id,
      name: agent.name,
      model: agent.model,
      to: agent.state,
      version: 1,
    }),
  });
  const res = await applyPlan(town.redis, plan);
  if (!res.ok) {
    if (res.reason === "taken")
      throw new CoreError("ALREADY_EXISTS", `an agent named ${agent.name} already exists in town ${town.name}`, {
        name: agent.name,
      });
    throw new CoreError("INTERNAL", `could not spawn agent: ${res.reason}`);
  }
  return agent;
}

export async function listAgents(town: Town, opts: { state?: AgentState } = {}): Promise<Agent[]> {
  const ids = await town.redis.zrange(opts.state ? town.keys.agentsByState(opts.state) : town.keys.agents, 0, "-1");
  if (ids.length === 0) return [];
  const pipe = town.redis.pipeline();
  for (const id of ids) pipe.hgetall(town.keys.agent(id));
  const rows = (await pipe.exec()) ?? [];
  return rows
    .map(([, h]) => h as Record<string, string>)
    .filter((h) => h?.id)
    .map((h) => decodeFields<Agent>(h, CODEC, NULLABLE))
    .sort((a, b) => a.createdAt - b.createdAt);
}

export async function countAgents(town: Town): Promise<Record<AgentState, number>> {
  const pipe = town.redis.pipeline();
  for (const s of AGENT_STATES) pipe.zcard(town.keys.agentsByState(s));
  const rows = (await pipe.exec()) ?? [];
  return Object.fromEntries(AGENT_STATES.map((s, i) => [s, Number(rows[i]?.[1] ?? 0)])) as Record<AgentState, number>;
}

/** A change of an agent: what `changeAgent` and the run steps (runners/run-steps.ts) decide and apply. */
export interface AgentChangeSpec {
  action: AgentAction;
  by: string;
  expectedVersion?: number;
  patch: (a: Agent, now: number) => Partial<Agent>;
  extra?: (a: Agent) => WritePlan;
  /** Extra facts for the `agent.state` event, e.g. `{ now: true }` for an interrupt that stops the run. */
  eventData?: Record<string, unknown>;
}

/**
 * The one way an agent changes: read, check the action is legal from its state, apply atomically with a
 * version check, append `agent.state`. Re-reads on a concurrent change.
 */
export async function changeAgent(town: Town, ref: string, spec: AgentChangeSpec): Promise<Agent> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const prev = await resolveAgent(town, ref);
    const { next, plan } = planAgentChange(town, prev, spec);
    const res = await applyPlan(town.redis, plan);
    if (res.ok) return next;
    await new Promise((r) => setTimeout(r, Math.random() * 5 * Math.min(attempt + 1, 10)));
  }
  throw new CoreError("CONFLICT", `agent ${ref} is changing too fast to update; try again`);
}

/**
 * Decides `spec` on `prev` (version, legal action, patch) and builds its write plan (hash, state index, the
 * `agent.state` event) checked against `prev`'s version. Throws CONFLICT or INVALID_STATE when refused.
 */
export function planAgentChange(town: Town, prev: Agent, spec: AgentChangeSpec): { next: Agent; plan: WritePlan } {
  const allowed = AGENT_TRANSITIONS[spec.action] as readonly AgentState[];
  if (spec.expectedVersion !== undefined && spec.expectedVersion !== prev.version) {
    throw new CoreError(
      "CONFLICT",
      `agent ${prev.name} changed since you saw it (now ${prev.state}, version ${prev.version}): reload and try again`,
      { state: prev.state, version: prev.version },
    );
  }
  if (!allowed.includes(prev.state)) {
    throw new CoreError(
      "INVALID_STATE",
      `cannot ${spec.action} agent ${prev.name}: it is ${prev.state} (${spec.action} needs ${allowed.join(" or ")})`,
      { state: prev.state, version: prev.version },
    );
  }
  const now = Date.now();
  const next: Agent = { ...prev, ...spec.patch(prev, now), version: prev.version + 1 };
  const k = town.keys;
  const plan = mergePlans(changePlan(k.agent(prev.id), prev, next, CODEC), spec.extra?.(prev) ?? { expect: [] }, {
    expect: [],
    zrem: prev.state !== next.state ? [{ key: k.agentsByState(prev.state), member: prev.id }] : [],
    zadd: prev.state !== next.state ? [{ key: k.agentsByState(next.state), score: now, member: prev.id }] : [],
    event: eventPlan(town, "agent.state", spec.by, {
      agentId: prev.id,
      name: prev.name,
      from: prev.state,
      to: next.state,
      action: spec.action,
      currentTask: next.currentTask,
      error: next.error,
      version: next.version,
      ...spec.eventData,
    }),
  });
  return { next, plan };
}

/** Records liveness without a version bump or an event (heartbeats are frequent). */
export async function heartbeatAgent(town: Town, agentId: string, at = Date.now()): Promise<void> {
  await town.redis.hset(town.keys.agent(agentId), "lastHeartbeat", at);
}

/** A removed agent, with how many unread messages went to the supervisor mailbox. */
export type PrunedAgent = Agent & { movedMessages: number };

/**
 * Removes stopped agents; with `includeErrors`, agents in error too. Tasks stay as history. An agent's unread
 * messages are never deleted: they move to the supervisor mailbox (marked `data.forwardedFrom`), in their order.
 */
export async function pruneAgents(town: Town, opts: { includeErrors?: boolean; by: string }): Promise<PrunedAgent[]> {
  const states: AgentState[] = opts.includeErrors ? ["stopped", "error"] : ["stopped"];
  const removed: PrunedAgent[] = [];
  for (const state of states) {
    for (const a of await listAgents(town, { state })) {
      const k = town.keys;
      const [unread, held] = await Promise.all([town.redis.zcard(k.inbox(a.id)), town.redis.zcard(k.inflight(a.id))]);
      const res = await applyPlan(town.redis, {
        expect: [{ key: k.agent(a.id), version: a.version }],
        hdel: [{ key: k.agentNames, fields: [a.name] }],
        zrem: [
          { key: k.agents, member: a.id },
          { key: k.agentIds, member: a.id },
          { key: k.agentsByState(a.state), member: a.id },
        ],
        del: [k.agent(a.id)],
        event: eventPlan(town, "agent.removed", opts.by, {
          agentId: a.id,
          name: a.name,
          from: a.state,
          unreadMessages: unread + held,
        }),
      });
      if (!res.ok) continue;
      const movedMessages = await forwardMessages(town, { agentId: a.id, name: a.name, to: SUPERVISOR });
      removed.push({ ...a, movedMessages });
    }
  }
  return removed;
}
