/**
 * The board's drop targets as dnd-kit and people name them. The rules (which drops are legal, the state after a move)
 * are core's, from `@tinytown/core/schema`; this file only names the targets and lists them for a card.
 */
import { canMove, moveTransition, type BoardColumn, type MoveTarget, type TaskState } from "@tinytown/core/schema";

import { assigneeOf, type AgentRow, type TaskCard } from "./types";

/** dnd-kit droppable ids: `col:backlog`, `col:failed` (= cancel), `agent:<name>`. */
export const dropId = {
  backlog: "col:backlog",
  cancelled: "col:failed",
  agent: (name: string) => `agent:${name}`,
} as const;

/** The columns that take drops, with the hint they show while a card is dragged. */
export const COLUMN_DROPS: Partial<Record<BoardColumn, { id: string; label: string }>> = {
  backlog: { id: dropId.backlog, label: "Drop to unassign / retry" },
  failed: { id: dropId.cancelled, label: "Drop to cancel" },
};

export function parseDropId(id: string): MoveTarget | null {
  if (id === dropId.backlog) return { kind: "backlog" };
  if (id === dropId.cancelled) return { kind: "cancelled" };
  if (id.startsWith("agent:")) return { kind: "agent", agent: id.slice("agent:".length) };
  return null;
}

/** Whether core would accept dropping `card` on `target`. */
export function canDrop(card: TaskCard, agentNames: Map<string, string>, target: MoveTarget): boolean {
  return canMove(card.state, assigneeOf(card, agentNames), target);
}

/** The drop ids `card` may go to, in reading order (Backlog, the agents, Cancelled): the keyboard steps through them. */
export function dropTargetIds(card: TaskCard, agents: AgentRow[], agentNames: Map<string, string>): string[] {
  const ids: string[] = [];
  if (canDrop(card, agentNames, { kind: "backlog" })) ids.push(dropId.backlog);
  for (const a of agents)
    if (canDrop(card, agentNames, { kind: "agent", agent: a.name })) ids.push(dropId.agent(a.name));
  if (canDrop(card, agentNames, { kind: "cancelled" })) ids.push(dropId.cancelled);
  return ids;
}

/** A target as a person reads it: "agent ada", "Cancelled", "Backlog", "Backlog (retry)". */
export function describeTarget(target: MoveTarget, state?: TaskState): string {
  if (target.kind === "agent") return `agent ${target.agent}`;
  if (target.kind === "cancelled") return "Cancelled";
  return state && moveTransition(state, target) === "retry" ? "Backlog (retry)" : "Backlog";
}
