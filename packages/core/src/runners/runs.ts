/**
 * What a runner records and checks about a run it started, beside the task's own state. The run record (which
 * process runs an agent's task: runner, host, pid) lets the runner that takes over a lost run kill the process the
 * lost runner left behind (it leads its own process group) when it is on the same host.
 */
import type { AgentState } from "../agent/agent";
import type { TaskState } from "../task/task";
import type { Town } from "../town/town";

export interface RunRecord {
  runner: string;
  host: string;
  pid: number;
  taskId: string;
  version: number;
  startedAt: number;
}

const RUN_FIELD = "run";

/** Records the process that runs the agent's task. */
export async function recordRun(town: Town, agentId: string, rec: RunRecord): Promise<void> {
  await town.redis.hset(town.keys.agentControl(agentId), RUN_FIELD, JSON.stringify(rec));
}

/** The agent's run record, or null (none, or unreadable). */
export async function findRunRecord(town: Town, agentId: string): Promise<RunRecord | null> {
  const raw = await town.redis.hget(town.keys.agentControl(agentId), RUN_FIELD);
  try {
    return raw ? (JSON.parse(raw) as RunRecord) : null;
  } catch {
    return null;
  }
}

/** Clears the agent's run record when it is still the one `runner` wrote for `taskId`. */
export async function clearRunRecord(
  town: Town,
  run: { agentId: string; taskId: string; runner: string },
): Promise<void> {
  const rec = await findRunRecord(town, run.agentId);
  if (rec?.taskId === run.taskId && rec.runner === run.runner)
    await town.redis.hdel(town.keys.agentControl(run.agentId), RUN_FIELD);
}

/** A running task and its agent as they are now: what a runner checks on each heartbeat of a run. */
export interface RunState {
  /** null when the task is gone. */
  task: { state: TaskState; version: number; waitingFor: string | null } | null;
  /** null when the agent is gone. */
  agentState: AgentState | null;
}

/** Reads the state of a run's task and agent in one round trip. */
export async function readRunState(town: Town, run: { taskId: string; agentId: string }): Promise<RunState> {
  const [[, task], [, agentState]] = (await town.redis
    .pipeline()
    .hmget(town.keys.task(run.taskId), "state", "version", "waitingFor")
    .hget(town.keys.agent(run.agentId), "state")
    .exec()) as [[unknown, (string | null)[]], [unknown, string | null]];
  const [state, version, waitingFor] = task;
  return {
    task: state ? { state: state as TaskState, version: Number(version), waitingFor: waitingFor ?? null } : null,
    agentState: (agentState as AgentState | null) ?? null,
  };
}
