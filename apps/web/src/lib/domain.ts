/**
 * Core's enumerations, for client components. `@tinytown/core` is a server package (ioredis, BullMQ): a value
 * import from it would drag Redis into the browser bundle, so the lists are repeated here. Each is written as a
 * Record over core's type, so adding or renaming a state in core fails the web app's typecheck until updated here.
 */
import type { AgentState, MessageType, Priority, TaskState } from "@tinytown/core";

const keys = <K extends string>(r: Record<K, true>) => Object.keys(r) as K[];

export const TASK_STATES = keys<TaskState>({
  pending: true,
  assigned: true,
  running: true,
  completed: true,
  failed: true,
  cancelled: true,
});
export const AGENT_STATES = keys<AgentState>({
  starting: true,
  idle: true,
  working: true,
  paused: true,
  draining: true,
  stopped: true,
  error: true,
});
/** Highest first. */
export const PRIORITIES = keys<Priority>({ urgent: true, high: true, normal: true, low: true });
export const MESSAGE_TYPES = keys<MessageType>({
  info: true,
  query: true,
  custom: true,
  task_assign: true,
  task_done: true,
  task_failed: true,
  status_request: true,
  status_response: true,
  ack: true,
  ping: true,
  pong: true,
  shutdown: true,
});

/** The agent actions a person can take, and the states each is allowed from (core's AGENT_TRANSITIONS). */
export const AGENT_ACTIONS = {
  interrupt: ["starting", "idle", "working"],
  resume: ["paused"],
  close: ["starting", "idle", "working", "paused"],
  kill: ["starting", "idle", "working", "paused", "draining", "error"],
  restart: ["stopped", "error"],
} as const satisfies Record<string, readonly AgentState[]>;
