/**
 * Dispatch through BullMQ: one queue per agent (`agent-<agentId>`, under the town's prefix) with a global
 * concurrency of 1, so an agent runs at most one task at a time whatever the number of runners. A job is a
 * hint that says "this task may be ready for this agent"; the task hash is the truth, and the runner's
 * processor re-checks it (startTask) before doing anything. Runners reconcile assigned tasks that lack a job.
 */
import { Queue, Worker, type Job, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { Priority } from "../task/task";
import type { Town } from "../town/town";
import { queuesOf } from "./queue-cache";

export interface RunJobData {
  taskId: string;
  agentId: string;
}

export const RUN_JOB = "run";
export const agentQueueName = (agentId: string) => `agent-${agentId}`;

/**
 * BullMQ priority (1 runs first). A task whose run was interrupted goes back in front of everything
 * (`resume`); then urgent … low.
 */
export const BULL_PRIORITY: Record<Priority | "resume", number> = { resume: 1, urgent: 2, high: 3, normal: 4, low: 5 };

/** The queue of one agent; cached per town, sharing the town's connection (BullMQ does not close it). */
export function agentQueue(town: Town, agentId: string): Queue<RunJobData> {
  const byAgent = queuesOf(town) as Map<string, Queue<RunJobData>>;
  let q = byAgent.get(agentId);
  if (!q) {
    q = new Queue<RunJobData>(agentQueueName(agentId), {
      connection: town.redis,
      prefix: town.keys.bullPrefix,
      skipVersionCheck: true,
    });
    byAgent.set(agentId, q);
  }
  return q;
}

/**
 * A runner's worker on one agent's queue: concurrency 1, and the queue's global concurrency set to 1, so the agent
 * runs one task at a time across all runners. `connection` is the runner's blocking connection (BullMQ duplicates it).
 */
export async function openRunWorker(
  town: Town,
  agentId: string,
  process: (job: Job<RunJobData>) => Promise<string>,
  opts: { connection: Redis; runnerId: string; lockDurationMs: number; stalledIntervalMs: number },
): Promise<Worker<RunJobData, string>> {
  await agentQueue(town, agentId).setGlobalConcurrency(1);
  return new Worker<RunJobData, string>(agentQueueName(agentId), process, {
    connection: opts.connection,
    prefix: town.keys.bullPrefix,
    name: opts.runnerId,
    concurrency: 1,
    lockDuration: opts.lockDurationMs,
    stalledInterval: opts.stalledIntervalMs,
    // Jobs are hints: a job that keeps stalling is dropped and the runners' reconcile enqueues the task again.
    maxStalledCount: 5,
    drainDelay: 5,
    skipVersionCheck: true,
  });
}

export function runJobId(taskId: string, attempt: number) {
  return `${taskId}.${attempt}`;
}

/**
 * Enqueues a run of `taskId` on its agent's queue. The job id includes the task's version, so enqueueing the
 * same assignment twice is a no-op and a later assignment is a new job.
 */
export async function enqueueRun(
  town: Town,
  task: { id: string; assignedTo: string | null; priority: Priority; version: number },
  opts: { resume?: boolean; delayMs?: number } = {},
): Promise<void> {
  if (!task.assignedTo) return;
  const q = agentQueue(town, task.assignedTo);
  const jobOpts: JobsOptions = {
    jobId: runJobId(task.id, task.version),
    priority: BULL_PRIORITY[opts.resume ? "resume" : task.priority],
    removeOnComplete: true,
    removeOnFail: true,
    attempts: 1,
    ...(opts.delayMs ? { delay: opts.delayMs } : {}),
  };
  await q.add(RUN_JOB, { taskId: task.id, agentId: task.assignedTo }, jobOpts);
}

/** Removes waiting jobs of a task from an agent's queue (best effort: a job already running re-checks the task). */
export async function dequeueRuns(town: Town, agentId: string, taskId: string): Promise<void> {
  const q = agentQueue(town, agentId);
  const jobs = await q.getJobs(["waiting", "prioritized", "delayed"], 0, 1000);
  await Promise.all(jobs.filter((j) => j.data.taskId === taskId).map((j) => j.remove().catch(() => undefined)));
}
