import { getTask, readTaskLog, TASK_LOG_MAX_LEN, type TaskLogEntry, type Town } from "@tinytown/core";

export interface TaskLogPage {
  lines: TaskLogEntry[];
  /**
   * The log holds lines this page left out: without `after`, older lines before the first one returned; with
   * `after`, newer lines after the last one (call again with the last id).
   */
  truncated: boolean;
}

export const MAX_LOG_PAGE = TASK_LOG_MAX_LEN;

/**
 * A page of a task's output, oldest first: the latest `limit` lines, or the `limit` lines after `after`.
 * The task must exist (its id may be a prefix), so a typo is NOT_FOUND rather than an empty log.
 */
export async function taskLogPage(
  town: Town,
  input: { taskId: string; after?: string; limit: number },
): Promise<TaskLogPage> {
  const task = await getTask(town, input.taskId);
  // One line more than asked tells whether the page is complete.
  const lines = await readTaskLog(town, task.id, { after: input.after, count: input.limit + 1 });
  if (lines.length <= input.limit) return { lines, truncated: false };
  return { lines: input.after ? lines.slice(0, input.limit) : lines.slice(1), truncated: true };
}
