import { countAgents, listAgents } from "../agent/agent.service";
import type { Agent, AgentState } from "../agent/agent";
import { inboxLength } from "../channel/channel";
import { describeRedisUrl, nodeFor } from "../redis/connection";
import { SUPERVISOR } from "../redis/keys";
import { listRunners, type RunnerInfo } from "../runners/registry";
import { countTasks } from "../task/task.service";
import type { TaskState } from "../task/task";
import type { Town } from "./town";

export interface TownStatus {
  name: string;
  dir: string | null;
  redis: { url: string; managed: boolean; version: string; pid: number | null; aof: boolean; memoryBytes: number };
  agents: Record<AgentState, number>;
  tasks: Record<TaskState, number>;
  backlog: number;
  supervisorInbox: number;
  /** Questions from agents that wait for a person (`tt needs`). */
  waitingForHuman: number;
  runners: RunnerInfo[];
  agentList: Agent[];
}

export async function townStatus(town: Town): Promise<TownStatus> {
  // INFO is a node command: on a Cluster, ask the node that holds the town's slot.
  const node = nodeFor(town.redis, town.keys.meta);
  const [info, persistence, memory, agents, tasks, backlog, supervisorInbox, runners, agentList, questions] =
    await Promise.all([
      node.info("server"),
      node.info("persistence"),
      node.info("memory"),
      countAgents(town),
      countTasks(town),
      town.redis.zcard(town.keys.backlog),
      inboxLength(town, SUPERVISOR),
      listRunners(town),
      listAgents(town),
      town.redis.zcard(town.keys.needsOpen),
    ]);
  const field = (text: string, name: string) => new RegExp(`^${name}:(.*)$`, "m").exec(text)?.[1]?.trim() ?? "";
  return {
    name: town.name,
    dir: town.dir,
    redis: {
      url: describeRedisUrl(town.redisUrl),
      managed: town.managed,
      version: field(info, "redis_version"),
      pid: Number(field(info, "process_id")) || null,
      aof: field(persistence, "aof_enabled") === "1",
      memoryBytes: Number(field(memory, "used_memory")) || 0,
    },
    agents,
    tasks,
    backlog,
    supervisorInbox,
    waitingForHuman: questions,
    runners,
    agentList,
  };
}
