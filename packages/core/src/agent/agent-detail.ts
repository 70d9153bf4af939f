import { peek } from "../channel/channel";
import { findAgentRateLimit } from "../sessions/session-store";
import type { Message } from "../message/message";
import type { Task } from "../task/task";
import { listTasks } from "../task/task.service";
import type { Town } from "../town/town";
import type { Agent } from "./agent";
import { resolveAgent } from "./agent.service";

export interface AgentDetail {
  agent: Agent;
  /** Its tasks, newest first, at most {@link AGENT_TASKS}. */
  tasks: Task[];
  /** Its inbox in the order it will read it, without taking anything. */
  inbox: Message[];
  /** Epoch ms until which its provider refuses work ("rate-limited until 14:05"), or null. */
  rateLimitedUntil: number | null;
}

export const AGENT_TASKS = 100;
export const AGENT_INBOX = 100;

/**
 * Whether an agent still has work: a current task, or a task assigned to it or running. An agent stopped or in error
 * has none (it takes no more), whatever is still assigned to it.
 */
export async function agentHasWork(town: Town, agent: Agent): Promise<boolean> {
  if (agent.state === "stopped" || agent.state === "error") return false;
  if (agent.currentTask) return true;
  const { items } = await listTasks(town, { agent: agent.id, limit: 1000 });
  return items.some((t) => t.state === "assigned" || t.state === "running");
}

/** One agent with its tasks and pending messages (an agent page). */
export async function agentDetail(town: Town, ref: string): Promise<AgentDetail> {
  const agent = await resolveAgent(town, ref);
  const [tasks, inbox, rateLimitedUntil] = await Promise.all([
    listTasks(town, { agent: agent.id, limit: AGENT_TASKS }),
    peek(town, agent.id, AGENT_INBOX),
    findAgentRateLimit(town, agent.id),
  ]);
  return { agent, tasks: tasks.items, inbox, rateLimitedUntil };
}
