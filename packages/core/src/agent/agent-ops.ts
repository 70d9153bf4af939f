import { listTasks, cancelTask, requeueTask, unassignTask } from "../task/task.service";
import type { Task } from "../task/task";
import type { Town } from "../town/town";
import type { Agent } from "./agent";
import { killAgent, resolveAgent } from "./agent.service";

export type KillTasks = "requeue" | "cancel";

/**
 * Stops an agent now. Its unfinished tasks (assigned or running) go back to the backlog (`requeue`, the
 * default) or are cancelled (`cancel`). A runner hosting the agent sees the change and kills the process.
 */
export async function stopAgent(town: Town, ref: string, opts: { tasks?: KillTasks; by?: string } = {}): Promise<{ agent: Agent; tasks: Task[] }> {
  const by = opts.by ?? "cli";
  const target = await resolveAgent(town, ref);
  const agent = await killAgent(town, target.id, by);
  const { items } = await listTasks(town, { agent: agent.id, limit: 1000 });
  const changed: Task[] = [];
  for (const t of items.filter((t) => t.state === "assigned" || t.state === "running")) {
    if (opts.tasks === "cancel") changed.push(await cancelTask(town, { taskId: t.id, by }));
    else {
      if (t.state === "running") await requeueTask(town, { taskId: t.id, reason: `agent ${agent.name} was killed`, by });
      changed.push(await unassignTask(town, { taskId: t.id, by }));
    }
  }
  return { agent, tasks: changed };
}
