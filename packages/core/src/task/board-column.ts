/** The board's read model: one page of a column, as cards. */
import type { Town } from "../town/town";
import { columnStates, type BoardColumn } from "./board";
import type { Task } from "./task";
import { getTasks, listBacklog, listTasks, listTasksInStates, type TaskPage } from "./task.service";

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

/**
 * One page of a board column; `cursor` is the offset of the page. Backlog: priority, then age (the order agents
 * take work in). Assigned, running, review, done: newest change first. Failed: failed and cancelled merged, newest
 * change first. Done leaves out the tasks in Review.
 */
export async function boardColumn(
  town: Town,
  input: { column: BoardColumn; cursor: number; limit: number },
): Promise<ColumnPage> {
  const { column, cursor: offset, limit } = input;
  const states = columnStates(column);
  const page =
    column === "backlog"
      ? await listBacklog(town, { offset, limit })
      : column === "review"
        ? await reviewPage(town, offset, limit)
        : column === "done"
          ? await donePage(town, offset, limit)
          : states.length === 1
            ? await listTasks(town, { state: states[0], offset, limit })
            : await listTasksInStates(town, [...states], { offset, limit });
  return {
    items: page.items.map(toCard),
    total: page.total,
    nextCursor: offset + limit < page.total ? offset + limit : null,
  };
}

async function reviewPage(town: Town, offset: number, limit: number): Promise<TaskPage> {
  const key = town.keys.tasksInReview;
  const [ids, total] = await Promise.all([
    town.redis.zrevrange(key, offset, offset + limit - 1),
    town.redis.zcard(key),
  ]);
  return { items: await getTasks(town, ids), total };
}

/**
 * Completed tasks not in review, newest change first. Reads the top `offset + limit + in review` of the completed
 * index and skips the ones in review: a page costs O(offset + limit + tasks waiting for review).
 */
async function donePage(town: Town, offset: number, limit: number): Promise<TaskPage> {
  const k = town.keys;
  const [completed, reviewing] = await Promise.all([
    town.redis.zcard(k.tasksByState("completed")),
    town.redis.zcard(k.tasksInReview),
  ]);
  const ids = await town.redis.zrevrange(k.tasksByState("completed"), 0, offset + limit + reviewing - 1);
  const scores = ids.length > 0 ? await town.redis.zmscore(k.tasksInReview, ...ids) : [];
  const done = ids.filter((_, i) => scores[i] === null);
  return { items: await getTasks(town, done.slice(offset, offset + limit)), total: Math.max(0, completed - reviewing) };
}
