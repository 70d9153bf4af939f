import { listBacklog, listTasks, listTasksInStates, type Task, type TaskState, type Town } from "@tinytown/core";

export const BOARD_COLUMNS = ["backlog", "assigned", "running", "done", "failed"] as const;
export type BoardColumn = (typeof BOARD_COLUMNS)[number];

/** A task as a board card: the description is cut so that a page of 1000 cards stays small. */
export type TaskCard = Task & { truncated: boolean };

export const CARD_DESCRIPTION_CHARS = 500;

export interface ColumnPage {
  items: TaskCard[];
  total: number;
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: number | null;
}

/** Cuts the description to {@link CARD_DESCRIPTION_CHARS} characters, never inside a surrogate pair. */
export function toCard(task: Task): TaskCard {
  if (task.description.length <= CARD_DESCRIPTION_CHARS) return { ...task, truncated: false };
  let cut = task.description.slice(0, CARD_DESCRIPTION_CHARS);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return { ...task, description: cut, truncated: true };
}

const SINGLE_STATE: Partial<Record<BoardColumn, TaskState>> = {
  assigned: "assigned",
  running: "running",
  done: "completed",
};

/**
 * One page of a board column; `cursor` is the offset of the page. Backlog: priority, then age (the order agents
 * take work in). Assigned, running, done: newest change first. Failed: failed and cancelled merged, newest change
 * first.
 */
export async function boardColumn(
  town: Town,
  input: { column: BoardColumn; cursor: number; limit: number },
): Promise<ColumnPage> {
  const { column, cursor: offset, limit } = input;
  const state = SINGLE_STATE[column];
  const page =
    column === "backlog"
      ? await listBacklog(town, { offset, limit })
      : state
        ? await listTasks(town, { state, offset, limit })
        : await listTasksInStates(town, ["failed", "cancelled"], { offset, limit });
  return {
    items: page.items.map(toCard),
    total: page.total,
    nextCursor: offset + limit < page.total ? offset + limit : null,
  };
}
