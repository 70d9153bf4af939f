/**
 * Operator views and actions on the agents' BullMQ queues. Jobs are hints (see dispatch.ts), so every action
 * is expressed against task state: clean drops jobs whose task is no longer assigned to that agent, retry puts
 * back the job of an assigned task that lost it, promote moves an assigned task to the front. Pausing a queue is
 * pausing its agent (interruptAgent): the runner pauses the queue when the agent is paused.
 */
import { listAgents } from "../agent/agent.service";
import type { Agent } from "../agent/agent";
import { CoreError } from "../errors";
import { getTask, getTasks, listTasks } from "../task/task.service";
import type { Town } from "../town/town";
import { agentQueue, BULL_PRIORITY, enqueueRun, runJobId } from "./dispatch";

export interface QueueInfo {
  agentId: string;
  agent: string;
  agentState: Agent["state"];
  paused: boolean;
  counts: { waiting: number; prioritized: number; active: number; delayed: number };
  /** Tasks assigned to the agent (waiting for a run). */
  assigned: number;
}

const WAITING = ["waiting", "prioritized", "delayed"] as const;

export async function listQueues(town: Town): Promise<QueueInfo[]> {
  const agents = await listAgents(town);
  return Promise.all(
    agents.map(async (a) => {
      const q = agentQueue(town, a.id);
      const [counts, paused, tasks] = await Promise.all([
        q.getJobCounts("waiting", "prioritized", "active", "delayed"),
        q.isPaused(),
        listTasks(town, { agent: a.id, state: "assigned", limit: 1000 }),
      ]);
      return {
        agentId: a.id,
        agent: a.name,
        agentState: a.state,
        paused,
        counts: {
          waiting: counts.waiting ?? 0,
          prioritized: counts.prioritized ?? 0,
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
        },
        assigned: tasks.total,
      };
    }),
  );
}

async function agentsFor(town: Town, agent?: string): Promise<Agent[]> {
  const all = await listAgents(town);
  if (!agent) return all;
  const lower = agent.toLowerCase();
  const one = all.filter((a) => a.name === lower || a.id === agent || a.id.startsWith(agent));
  if (one.length !== 1)
    throw new CoreError(
      one.length ? "AMBIGUOUS" : "NOT_FOUND",
      `no single agent "${agent}" in town ${town.name}: \`tt list\` shows the agents`,
    );
  return one;
}

/** Removes waiting jobs whose task is no longer assigned to that agent; returns how many per agent. */
export async function cleanQueues(
  town: Town,
  opts: { agent?: string } = {},
): Promise<{ agent: string; removed: number }[]> {
  const out: { agent: string; removed: number }[] = [];
  for (const a of await agentsFor(town, opts.agent)) {
    const jobs = await agentQueue(town, a.id).getJobs([...WAITING], 0, 10_000);
    const tasks = new Map((await getTasks(town, [...new Set(jobs.map((j) => j.data.taskId))])).map((t) => [t.id, t]));
    let removed = 0;
    for (const j of jobs) {
      const t = tasks.get(j.data.taskId);
      const live = t && t.state === "assigned" && t.assignedTo === a.id;
      if (!live) {
        await j.remove().catch(() => undefined);
        removed++;
      }
    }
    out.push({ agent: a.name, removed });
  }
  return out;
}

/** Puts back the job of every assigned task that has none (enqueueing is idempotent per task version). */
export async function retryQueues(
  town: Town,
  opts: { agent?: string } = {},
): Promise<{ agent: string; enqueued: number }[]> {
  const out: { agent: string; enqueued: number }[] = [];
  for (const a of await agentsFor(town, opts.agent)) {
    const q = agentQueue(town, a.id);
    const { items } = await listTasks(town, { agent: a.id, state: "assigned", limit: 1000 });
    let enqueued = 0;
    for (const t of items) {
      if (await q.getJob(runJobId(t.id, t.version))) continue;
      await enqueueRun(town, t);
      enqueued++;
    }
    out.push({ agent: a.name, enqueued });
  }
  return out;
}

/** The agent's queue is paused exactly while the agent is paused (BullMQ's pause is shared by all runners). */
export async function syncQueuePause(town: Town, agent: Pick<Agent, "id" | "state">): Promise<void> {
  const q = agentQueue(town, agent.id);
  const paused = await q.isPaused();
  if (agent.state === "paused" && !paused) await q.pause();
  else if (agent.state !== "paused" && paused) await q.resume();
}

/**
 * Repairs lost enqueues (a crash between an assignment and its queue.add): enqueues each assigned task of the given
 * agents whose run job is missing from its agent's queue; returns how many. Compares job ids per queue first:
 * re-adding every assigned task on every pass cost more CPU than running the tasks (bench B5).
 */
export async function enqueueMissingRuns(town: Town, agentIds: ReadonlySet<string>): Promise<number> {
  const queued = new Map<string, Set<string>>();
  let enqueued = 0;
  for (let offset = 0; offset < 100_000; offset += 1000) {
    const page = await listTasks(town, { state: "assigned", offset, limit: 1000 });
    for (const t of page.items) {
      // A task waiting for a human's answer is queued by the answer, not here.
      if (!t.assignedTo || !agentIds.has(t.assignedTo) || t.waitingFor) continue;
      let ids = queued.get(t.assignedTo);
      if (!ids) {
        const q = agentQueue(town, t.assignedTo);
        ids = new Set(await q.getRanges(["wait", "prioritized", "delayed", "active"], 0, -1));
        queued.set(t.assignedTo, ids);
      }
      if (ids.has(runJobId(t.id, t.version))) continue;
      await enqueueRun(town, t);
      enqueued++;
    }
    if (page.items.length < 1000) break;
  }
  return enqueued;
}

/** Moves an assigned task to the front of its agent's queue. */
export async function promoteTask(town: Town, taskRef: string): Promise<void> {
  const t = await getTask(town, taskRef);
  if (t.state !== "assigned" || !t.assignedTo) {
    throw new CoreError(
      "INVALID_STATE",
      `only an assigned task can be promoted; task ${t.id.slice(0, 8)} is ${t.state}`,
      { state: t.state, version: t.version },
    );
  }
  const job = await agentQueue(town, t.assignedTo).getJob(runJobId(t.id, t.version));
  if (job) await job.changePriority({ priority: BULL_PRIORITY.resume });
  else await enqueueRun(town, t, { resume: true });
}
