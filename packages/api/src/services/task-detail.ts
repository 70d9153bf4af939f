import { findAgent, getTask, taskHistory, type Task, type Town, type TownEvent } from "@tinytown/core";

export interface TaskDetail {
  task: Task;
  /** Its changes, oldest first. */
  history: TownEvent[];
  /** Name of the agent it is assigned to; null when unassigned (or the agent was pruned). */
  agentName: string | null;
}

/** One task with its history and its agent's name (a task page). */
export async function taskDetail(town: Town, ref: string): Promise<TaskDetail> {
  const task = await getTask(town, ref);
  const [history, agent] = await Promise.all([
    taskHistory(town, task.id),
    task.assignedTo ? findAgent(town, task.assignedTo) : null,
  ]);
  return { task, history, agentName: agent?.name ?? null };
}
