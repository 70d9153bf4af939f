import { countAgents, listAgents } from "../agent/agent.service";
import type { Agent, AgentState } from "../agent/agent";
import { inboxLength } from "../channel/channel";
import { describeRedisUrl, nodeFor } from "../redis/connection";
import { SUPERVISOR } from "../redis/keys";
import { countTasks } from "../task/task.service";
import type { TaskState } from "../task/task";
import type { Town } from "./town";

export interface RunnerInfo {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  lastSeen: number;
  models: string[];
  alive: boolean;
}

export interface TownStatus {
  name: string;
  dir: string | null;
  redis: { url: string; managed: boolean; version: string; pid: number | null; aof: boolean; memoryBytes: number };
  agents: Record<AgentState, number>;
  tasks: Record<TaskState, number>;
  backlog: number;
  supervisorInbox: number;
  runners: RunnerInfo[];
  agentList: Agent[];
}

/** A runner counts as alive if it heartbeated within this window. */
export const RUNNER_ALIVE_MS = 15_000;

export async function listRunners(town: Town): Promise<RunnerInfo[]> {
  const [all, seen] = await Promise.all([
    town.redis.hgetall(town.keys.runners),
    town.redis.zrange(town.keys.runnerAlive, 0, "-1", "WITHSCORES"),
  ]);
  const last = new Map<string, number>();
  for (let i = 0; i + 1 < seen.length; i += 2) last.set(seen[i]!, Number(seen[i + 1]));
  const now = Date.now();
  return Object.entries(all).map(([id, json]) => {
    const info = JSON.parse(json) as Omit<RunnerInfo, "id" | "lastSeen" | "alive">;
    const lastSeen = last.get(id) ?? 0;
    return { ...info, id, lastSeen, alive: now - lastSeen < RUNNER_ALIVE_MS };
  });
}

export async function townStatus(town: Town): Promise<TownStatus> {
  // INFO is a node command: on a Cluster, ask the node that holds the town's slot.
  const node = nodeFor(town.redis, town.keys.meta);
  const [info, persistence, memory, agents, tasks, backlog, supervisorInbox, runners, agentList] = await Promise.all([
    node.info("server"),
    node.info("persistence"),
    node.info("memory"),
    countAgents(town),
    countTasks(town),
    town.redis.zcard(town.keys.backlog),
    inboxLength(town, SUPERVISOR),
    listRunners(town),
    listAgents(town),
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
    runners,
    agentList,
  };
}
