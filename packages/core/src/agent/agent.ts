import { z } from "zod";

import { Actor } from "../refs";

export const AGENT_STATES = ["starting", "idle", "working", "paused", "draining", "stopped", "error"] as const;
export const AgentState = z.enum(AGENT_STATES);
export type AgentState = z.infer<typeof AgentState>;

/** Names the human mailbox; no agent may take them. */
export const RESERVED_NAMES = ["supervisor", "conductor"] as const;

export const AgentName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,63}$/,
    "an agent name is 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit",
  )
  .refine((n) => !(RESERVED_NAMES as readonly string[]).includes(n), {
    message: "'supervisor' and 'conductor' are reserved for the human mailbox",
  });

export const Agent = z.object({
  id: z.string(),
  name: z.string(),
  model: z.string(),
  state: AgentState,
  currentTask: z.string().nullable(),
  createdAt: z.number(),
  createdBy: z.string(),
  lastHeartbeat: z.number().nullable(),
  tasksCompleted: z.number(),
  tasksFailed: z.number(),
  /** Runner id hosting the agent, or null while no runner has picked it up. */
  runner: z.string().nullable(),
  /** Why the agent is in `error` (e.g. the model's CLI is missing). */
  error: z.string().nullable(),
  version: z.number(),
});
export type Agent = z.infer<typeof Agent>;

export const SpawnAgentInput = z.object({
  name: AgentName,
  model: z.string().trim().min(1, "a model is required").max(64),
  by: Actor,
});
export type SpawnAgentInput = z.input<typeof SpawnAgentInput>;

/** Agent state transitions: `from` states allowed for each action. */
export const AGENT_TRANSITIONS = {
  /** a runner has picked the agent up */
  ready: ["starting", "idle", "working"],
  /** a runner starts a task on the agent */
  work: ["idle"],
  /** the task ended: working → idle, paused stays paused, draining → stopped (the caller's patch says which) */
  finish: ["working", "paused", "draining"],
  interrupt: ["starting", "idle", "working"],
  resume: ["paused"],
  close: ["starting", "idle", "working", "paused"],
  kill: ["starting", "idle", "working", "paused", "draining", "error"],
  fail: ["starting", "idle", "working", "paused", "draining"],
  restart: ["stopped", "error"],
} as const satisfies Record<string, readonly AgentState[]>;
export type AgentAction = keyof typeof AGENT_TRANSITIONS;

/** Whether an agent in `state` may take `action` (e.g. the dashboard shows only the buttons that apply). */
export function isAgentActionAllowed(action: AgentAction, state: AgentState): boolean {
  return (AGENT_TRANSITIONS[action] as readonly AgentState[]).includes(state);
}
