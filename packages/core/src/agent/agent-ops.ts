import { listTasks, cancelTask, requeueTask, unassignTask } from "../task/task.service";
import type { Task } from "../task/task";
import type { Town } from "../town/town";
import type { Agent } from "./agent";
import { changeAgent, killAgent, resolveAgent } from "./agent.service";

export type KillTasks = "requeue" | "cancel";

/**
 * Gives back an agent's unfinished tasks: assigned ones go back to the backlog (`requeue`) or are cancelled;
 * with `includeRunning`, a running one is requeued then unassigned (or cancelled) too.
 */
export async function releaseAgentTasks(
  town: Town,
  agentId: string,
  opts: { tasks?: KillTasks; includeRunning?: boolean; reason: string; by: string },
): Promise<Task[]> {
  const { items } = await listTasks(town, { agent: agentId, limit: 1000 });
  const changed: Task[] = [];
  for (const t of items.filter((t) => t.state === "assigned" || (opts.includeRunning && t.state === "running"))) {
    if (opts.tasks === "cancel") changed.push(await cancelTask(town, { taskId: t.id, by: opts.by }));
    else {
      if (t.state === "running") await requeueTask(town, { taskId: t.id, reason: opts.reason, by: opts.by });
      changed.push(await unassignTask(town, { taskId: t.id, by: opts.by }));
    }
  }
  return changed;
}

/**
 * Stops an agent now. Its unfinished tasks (assigned or running) go back to the backlog (`requeue`, the
 * default) or are cancelled (`cancel`). A runner hosting the agent sees the change and kills the process.
 */
export async function stopAgent(
  town: Town,
  ref: string,
  opts: { tasks?: KillTasks; by: string },
): Promise<{ agent: Agent; tasks: Task[] }> {
  const { by } = opts;
  const target = await resolveAgent(town, ref);
  const agent = await killAgent(town, target.id, by);
  const tasks = await releaseAgentTasks(town, agent.id, {
    tasks: opts.tasks,
    includeRunning: true,
    reason: `agent ${agent.name} was killed`,
    by,
  });
  return { agent, tasks };
}

/**
 * Close: the agent finishes its current task, then stops (draining); with nothing running it stops at once.
 * Tasks still queued for it go back to the backlog when it stops (here, or in the runner when the drain ends).
 */
export async function closeAgent(town: Town, ref: string, by: string): Promise<Agent> {
  const agent = await changeAgent(town, ref, {
    action: "close",
    by,
    patch: (a) => ({ state: a.currentTask ? "draining" : "stopped" }),
  });
  if (agent.state === "stopped")
    await releaseAgentTasks(town, agent.id, { reason: `agent ${agent.name} was closed`, by });
  return agent;
}
