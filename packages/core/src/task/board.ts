/**
 * The board's rules, in one place for core's `moveTask`, the API and the dashboard: which column shows which task
 * states, and what a drop onto each target does. Pure (no Redis, no Node): the web imports it from
 * `@tinytown/core/schema`, so the board lights up exactly the targets the server accepts.
 */
import { z } from "zod";

import { AgentRef } from "../refs";
import type { AgentState } from "../agent/agent";
import type { ReviewStatus, TaskReview } from "./review";
import { TASK_TRANSITIONS, type TaskState, type TaskTransition } from "./task";

/**
 * The board's columns, left to right, with the task states each one shows (every state in exactly one). Review
 * shows no state of its own: it takes the completed tasks whose changes wait for a reviewer out of Done
 * (`inReview`).
 */
export const BOARD_COLUMNS = [
  { id: "backlog", title: "Backlog", states: ["pending"] },
  { id: "assigned", title: "Assigned", states: ["assigned"] },
  { id: "running", title: "Running", states: ["running"] },
  { id: "review", title: "Review", states: [] },
  { id: "done", title: "Done", states: ["completed"] },
  { id: "failed", title: "Failed / Cancelled", states: ["failed", "cancelled"] },
] as const satisfies readonly { id: string; title: string; states: readonly TaskState[] }[];

export type BoardColumn = (typeof BOARD_COLUMNS)[number]["id"];
export const BoardColumn = z.enum(BOARD_COLUMNS.map((c) => c.id) as readonly BoardColumn[]);

/** The column that shows a task in `state`. */
export function columnOf(state: TaskState): BoardColumn {
  return BOARD_COLUMNS.find((c) => (c.states as readonly TaskState[]).includes(state))!.id;
}

/** Review statuses that keep a completed task in the Review column: a reviewer's turn, or a merge under way. */
export const IN_REVIEW_STATUSES = ["waiting", "approved"] as const satisfies readonly ReviewStatus[];

/** Whether a task shows in the Review column (completed, its changes waiting for a reviewer or being merged). */
export function inReview(t: { state: TaskState; review: Pick<TaskReview, "status"> | null }): boolean {
  return t.state === "completed" && (IN_REVIEW_STATUSES as readonly string[]).includes(t.review?.status ?? "");
}

/** The column that shows a task: its state's column, or Review while its changes wait for review. */
export function columnOfTask(t: { state: TaskState; review: Pick<TaskReview, "status"> | null }): BoardColumn {
  return inReview(t) ? "review" : columnOf(t.state);
}

/** Every column that may show a task in `state` (a completed task is in Done or Review). */
export function columnsShowing(state: TaskState): BoardColumn[] {
  const c = columnOf(state);
  return c === "done" ? ["review", "done"] : [c];
}

/** The task states a column shows. */
export function columnStates(column: BoardColumn): readonly TaskState[] {
  return BOARD_COLUMNS.find((c) => c.id === column)!.states;
}

/** Where a card can be dropped on the board. */
export const MoveTarget = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("agent"),
    /** The agent's name, id or unique id prefix. */
    agent: AgentRef,
  }),
  z.object({ kind: z.literal("backlog") }),
  z.object({ kind: z.literal("cancelled") }),
]);
export type MoveTarget = z.infer<typeof MoveTarget>;

/**
 * What a drop onto each kind of target does: the task transitions it may make (the first one legal from the task's
 * state is taken) and the state the task is in afterwards.
 */
export const MOVES = {
  agent: { transitions: ["assign"], to: "assigned" },
  backlog: { transitions: ["unassign", "retry"], to: "pending" },
  cancelled: { transitions: ["cancel"], to: "cancelled" },
} as const satisfies Record<MoveTarget["kind"], { transitions: readonly TaskTransition[]; to: TaskState }>;
export type MoveTransition = (typeof MOVES)[MoveTarget["kind"]]["transitions"][number];

/** The transition moving a task in `state` to `target` makes, or null when the move is refused. */
export function moveTransition(state: TaskState, target: MoveTarget): MoveTransition | null {
  for (const t of MOVES[target.kind].transitions) {
    if ((TASK_TRANSITIONS[t] as readonly TaskState[]).includes(state)) return t;
  }
  return null;
}

/** Agent states that take no new work: stopped and errored agents need `tt restart` first; draining ones are closing. */
export const AGENT_STATES_REFUSING_WORK = ["stopped", "error", "draining"] as const satisfies readonly AgentState[];

/** Whether an agent in `state` may be given a task (assign, reassign, a drop on it). */
export function agentTakesWork(state: AgentState): boolean {
  return !(AGENT_STATES_REFUSING_WORK as readonly AgentState[]).includes(state);
}

/**
 * Whether a task in `state` may be dropped on `target`: the move is legal, it changes something (a card is not
 * dropped on the agent it is already assigned to), and a target agent takes work (`agentState`, when known).
 * `assignee` names the assigned agent the way `target` does.
 */
export function canMove(
  state: TaskState,
  assignee: string | null,
  target: MoveTarget,
  agentState?: AgentState,
): boolean {
  if (target.kind === "agent" && assignee === target.agent) return false;
  if (target.kind === "agent" && agentState && !agentTakesWork(agentState)) return false;
  return moveTransition(state, target) !== null;
}

/** The state a task is in once its move to `target` has succeeded. */
export function stateAfterMove(target: MoveTarget): TaskState {
  return MOVES[target.kind].to;
}
