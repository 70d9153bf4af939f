import { CoreError } from "../errors";
import type { Town } from "../town/town";
import { moveTransition, type MoveTarget } from "./board";
import type { Task, TaskState } from "./task";
import { assignTask, cancelTask, getTask, illegalTransition, retryTask, unassignTask } from "./task.service";

export interface MoveTaskInput {
  taskId: string;
  target: MoveTarget;
  /** The state and version the mover saw; a stale move is refused with CONFLICT and changes nothing. */
  expectedState: TaskState;
  expectedVersion: number;
  by: string;
}

/**
 * A drag on the board, as one decision (the rules are the board's, in board.ts): onto an agent assigns (or
 * reassigns); back to the backlog unassigns (assigned) or retries (failed/cancelled); onto Cancelled cancels. The
 * expected state and version are checked, so two people dragging the same card at once cannot both win.
 */
export async function moveTask(town: Town, input: MoveTaskInput): Promise<Task> {
  const current = await getTask(town, input.taskId);
  if (current.state !== input.expectedState || current.version !== input.expectedVersion) {
    throw new CoreError(
      "CONFLICT",
      `task ${current.id.slice(0, 8)} changed since you saw it: it is now ${current.state} (version ${current.version}); the board has been refreshed`,
      { state: current.state, version: current.version, assignedTo: current.assignedTo },
    );
  }
  const base = { taskId: current.id, expectedVersion: input.expectedVersion, by: input.by };
  const t = input.target;
  const transition = moveTransition(current.state, t);
  if (transition === "assign" && t.kind === "agent") return assignTask(town, { ...base, agent: t.agent });
  if (transition === "unassign") return unassignTask(town, base);
  if (transition === "retry") return retryTask(town, base);
  if (transition === "cancel") return cancelTask(town, base);
  // Refused: the same errors the transitions themselves give.
  if (t.kind === "agent") throw illegalTransition(current, "assign");
  if (t.kind === "cancelled") throw illegalTransition(current, "cancel");
  throw new CoreError("INVALID_STATE", `a ${current.state} task cannot go back to the backlog`, {
    state: current.state,
    version: current.version,
  });
}
