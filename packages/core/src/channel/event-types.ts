/** What the town's event stream carries (pure: the dashboard imports it from `@tinytown/core/schema`). */
export const EVENT_TYPES = [
  "town.initialised",
  "agent.spawned",
  "agent.state",
  "agent.removed",
  "task.created",
  "task.assigned",
  "task.unassigned",
  "task.started",
  "task.completed",
  "task.failed",
  "task.requeued",
  "task.cancelled",
  "task.retried",
  "task.changes_recorded",
  "task.changes_requested",
  "task.approved",
  "task.merge_checked",
  "task.merged",
  "task.discarded",
  "message.sent",
  /** An agent asked a human: its task waits (assigned, not queued) for the answer. */
  "task.waiting",
  /** A "Needs you" item opened (a question), was claimed or released, or closed (answered or dismissed). */
  "need.opened",
  "need.claimed",
  "need.closed",
  "user.added",
  "user.role",
  "user.removed",
  /** Every session of a user ended (sign out everywhere, removal): live streams signed in with them end too. */
  "user.signed_out",
  "user.password",
  "user.unlocked",
  "token.created",
  "token.revoked",
  /** An operator set or removed a task, agent or town budget. */
  "budget.set",
  /** A provider's rate limit stopped an agent's run: it waits until the reset (`until`, epoch ms). */
  "agent.rate_limited",
  /** Sent by a live transport when a subscription starts from now: refetch, then apply the events that follow. */
  "stream.ready",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface TownEvent {
  /** Stream id, e.g. `1732412345678-0`; pass it back as `after` to resume. */
  id: string;
  type: EventType;
  at: number;
  /** Who did it: a person, a token, an agent name, or `runner:<id>`. */
  by: string;
  taskId?: string;
  agentId?: string;
  /** For state changes: the state before and after. */
  from?: string;
  to?: string;
  version?: number;
  [key: string]: unknown;
}
