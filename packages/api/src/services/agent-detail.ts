import { listTasks, peek, resolveAgent, type Agent, type Message, type Task, type Town } from "@tinytown/core";

export interface AgentDetail {
  agent: Agent;
  /** Its tasks, newest first, at most {@link AGENT_TASKS}. */
  tasks: Task[];
  /** Its inbox in the order it will read it, without taking anything. */
  inbox: Message[];
}

export const AGENT_TASKS = 100;
export const AGENT_INBOX = 100;

/** One agent with its tasks and pending messages (an agent page). */
export async function agentDetail(town: Town, ref: string): Promise<AgentDetail> {
  const agent = await resolveAgent(town, ref);
  const [tasks, inbox] = await Promise.all([
    listTasks(town, { agent: agent.id, limit: AGENT_TASKS }),
    peek(town, agent.id, AGENT_INBOX),
  ]);
  return { agent, tasks: tasks.items, inbox };
}
