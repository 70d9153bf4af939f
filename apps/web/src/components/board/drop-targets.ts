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

/**
 * Whether core would accept dropping `card` on `target`: the move is legal from the card's state and a target agent
 * takes work (a stopped, errored or draining agent does not).
 */
export function canDrop(
  card: TaskCard,
  agents: AgentRow[],
  agentNames: Map<string, string>,
  target: MoveTarget,
): boolean {
  const agentState = target.kind === "agent" ? agents.find((a) => a.name === target.agent)?.state : undefined;
  return canMove(card.state, assigneeOf(card, agentNames), target, agentState);
}

/** The targets `card` may go to, in reading order (Backlog, the agents, Cancelled). */
export function moveTargets(card: TaskCard, agents: AgentRow[], agentNames: Map<string, string>): MoveTarget[] {
  const all: MoveTarget[] = [
    { kind: "backlog" },
    ...agents.map((a): MoveTarget => ({ kind: "agent", agent: a.name })),
    { kind: "cancelled" },
  ];
  return all.filter((t) => canDrop(card, agents, agentNames, t));
}

/** The droppable ids of {@link moveTargets}: the keyboard steps through them in this order. */
export function dropTargetIds(card: TaskCard, agents: AgentRow[], agentNames: Map<string, string>): string[] {
  return moveTargets(card, agents, agentNames).map(idOf);
}

/** The droppable id of a target. */
export function idOf(target: MoveTarget): string {
  return target.kind === "agent"
    ? dropId.agent(target.agent)
    : target.kind === "backlog"
      ? dropId.backlog
      : dropId.cancelled;
}

/** What a menu item says for a target: "Assign to ada", "Move to Backlog", "Retry (back to Backlog)", "Cancel task". */
export function actionLabel(target: MoveTarget, state: TaskState): string {
  if (target.kind === "agent") return state === "assigned" ? `Move to ${target.agent}` : `Assign to ${target.agent}`;
  if (target.kind === "cancelled") return "Cancel task";
  return moveTransition(state, target) === "retry" ? "Retry (back to Backlog)" : "Move to Backlog";
}

/** A target as a person reads it: "agent ada", "Cancelled", "Backlog", "Backlog (retry)". */
export function describeTarget(target: MoveTarget, state?: TaskState): string {
  if (target.kind === "agent") return `agent ${target.agent}`;
  if (target.kind === "cancelled") return "Cancelled";
  return state && moveTransition(state, target) === "retry" ? "Backlog (retry)" : "Backlog";
}
