import { findAgent } from "../agent/agent.service";
import type { TownEvent } from "../channel/events";
import type { Town } from "../town/town";
import type { Task } from "./task";
import { getTask, taskHistory } from "./task.service";

export interface TaskDetail {
  task: Task;
  /** Its changes, oldest first. */
  history: TownEvent[];
  /** Name of the agent it is assigned to; null when unassigned (or the agent was pruned). */
  agentName: string | null;
}

/** One task with its history and its agent's name (a task page, `tt task show`, MCP `get_task`). */
export async function taskDetail(town: Town, ref: string): Promise<TaskDetail> {
  const task = await getTask(town, ref);
  const [history, agent] = await Promise.all([
    taskHistory(town, task.id),
    task.assignedTo ? findAgent(town, task.assignedTo) : null,
  ]);
  return { task, history, agentName: agent?.name ?? null };
}
