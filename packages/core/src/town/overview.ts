import { countAgents } from "../agent/agent.service";
import type { AgentState } from "../agent/agent";
import { readEvents, type TownEvent } from "../channel/events";
import { countTasks } from "../task/task.service";
import type { TaskState } from "../task/task";
import { taskThroughput, type ThroughputBucket } from "./throughput";
import type { Town } from "./town";

export interface TownOverview {
  tasks: Record<TaskState, number>;
  agents: Record<AgentState, number>;
  /** Pending tasks waiting for an agent. */
  backlog: number;
  /** One bucket per minute of the last hour, oldest first. */
  throughput: ThroughputBucket[];
  /** The latest events, oldest first (the order of the live stream, so new events append). */
  recent: TownEvent[];
}

export const RECENT_EVENTS = 30;

/** What the dashboard's front page shows, in one round of parallel reads. */
export async function townOverview(town: Town): Promise<TownOverview> {
  const [tasks, agents, backlog, throughput, recent] = await Promise.all([
    countTasks(town),
    countAgents(town),
    town.redis.zcard(town.keys.backlog),
    taskThroughput(town),
    readEvents(town, { count: RECENT_EVENTS }),
  ]);
  return { tasks, agents, backlog, throughput, recent };
}
