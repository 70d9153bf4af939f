import { findTask, listBacklog, listTasks, type Task, type TaskState, type Town } from "@tinytown/core";

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

const SINGLE_STATE: Partial<Record<BoardColumn, TaskState>> = { assigned: "assigned", running: "running", done: "completed" };

/**
 * One page of a board column; `cursor` is the offset of the page. Backlog: priority, then age (the order agents
 * take work in). Assigned, running, done: newest change first. Failed: failed and cancelled merged, newest change
 * first.
 */
export async function boardColumn(town: Town, input: { column: BoardColumn; cursor: number; limit: number }): Promise<ColumnPage> {
  const { column, cursor: offset, limit } = input;
  const state = SINGLE_STATE[column];
  const page =
    column === "backlog"
      ? await listBacklog(town, { offset, limit })
      : state
        ? await listTasks(town, { state, offset, limit })
        : await listClosedUnsuccessful(town, offset, limit);
  return { items: page.items.map(toCard), total: page.total, nextCursor: offset + limit < page.total ? offset + limit : null };
}

/**
 * TEMPORARY (belongs in core: `listTasks` over several states): failed + cancelled, newest change first.
 * Merges the top `offset + limit` of both state indexes, so a page costs O(offset + limit), not O(tasks).
 */
async function listClosedUnsuccessful(town: Town, offset: number, limit: number): Promise<{ items: Task[]; total: number }> {
  const k = town.keys;
  const end = offset + limit - 1;
  const [failed, cancelled, nFailed, nCancelled] = await Promise.all([
    town.redis.zrevrange(k.tasksByState("failed"), 0, end, "WITHSCORES"),
    town.redis.zrevrange(k.tasksByState("cancelled"), 0, end, "WITHSCORES"),
    town.redis.zcard(k.tasksByState("failed")),
    town.redis.zcard(k.tasksByState("cancelled")),
  ]);
  const pairs = (flat: string[]) => {
    const out: { id: string; score: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i]!, score: Number(flat[i + 1]) });
    return out;
  };
  // Same order as ZREVRANGE on one key: score descending, then member descending.
  const ids = [...pairs(failed), ...pairs(cancelled)]
    .sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(offset, offset + limit)
    .map((p) => p.id);
  // TEMPORARY: core has no exported "load these task ids" (listTasks' loadMany is private).
  const tasks = await Promise.all(ids.map((id) => findTask(town, id)));
  return { items: tasks.filter((t): t is Task => t !== null), total: nFailed + nCancelled };
}
