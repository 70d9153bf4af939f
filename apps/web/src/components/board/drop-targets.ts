import type { TaskState } from "@tinytown/core";

/** The board's columns, left to right, with the task states each one shows. */
export const COLUMNS = [
  { id: "backlog", title: "Backlog", states: ["pending"] },
  { id: "assigned", title: "Assigned", states: ["assigned"] },
  { id: "running", title: "Running", states: ["running"] },
  { id: "done", title: "Done", states: ["completed"] },
  { id: "failed", title: "Failed / Cancelled", states: ["failed", "cancelled"] },
] as const satisfies readonly { id: string; title: string; states: readonly TaskState[] }[];

export type ColumnId = (typeof COLUMNS)[number]["id"];

export function columnOf(state: TaskState): ColumnId {
  for (const c of COLUMNS) if ((c.states as readonly TaskState[]).includes(state)) return c.id;
  return "backlog";
}

/** Where a card may be dropped; mirrors core's moveTask so the board only lights up legal targets. */
export type DropTarget = { kind: "agent"; agent: string } | { kind: "backlog" } | { kind: "cancelled" };

/** dnd-kit droppable ids: `col:backlog`, `col:failed` (= cancel), `agent:<name>`. */
export const dropId = {
  backlog: "col:backlog",
  cancelled: "col:failed",
  agent: (name: string) => `agent:${name}`,
} as const;

export function parseDropId(id: string): DropTarget | null {
  if (id === dropId.backlog) return { kind: "backlog" };
  if (id === dropId.cancelled) return { kind: "cancelled" };
  if (id.startsWith("agent:")) return { kind: "agent", agent: id.slice("agent:".length) };
  return null;
}

/** True when core would accept moving a task in `state` (assigned to `assignee`, an agent name) to `target`. */
export function canDrop(state: TaskState, assignee: string | null, target: DropTarget): boolean {
  switch (target.kind) {
    case "agent":
      return (state === "pending" || state === "assigned") && assignee !== target.agent;
    case "backlog":
      return state === "assigned" || state === "failed" || state === "cancelled";
    case "cancelled":
      return state === "pending" || state === "assigned" || state === "running";
  }
}

/** The state a task will be in once the move succeeds (the optimistic guess). */
export function stateAfter(target: DropTarget): TaskState {
  if (target.kind === "agent") return "assigned";
  if (target.kind === "cancelled") return "cancelled";
  return "pending";
}

export function describeTarget(target: DropTarget, state?: TaskState): string {
  if (target.kind === "agent") return `agent ${target.agent}`;
  if (target.kind === "cancelled") return "Cancelled";
  return state === "failed" || state === "cancelled" ? "Backlog (retry)" : "Backlog";
}

export const PRIORITY_ORDER = ["urgent", "high", "normal", "low"] as const;
