/**
 * The town's `workspace` queue: git work on a task's branch that a person asked for — merge an approved task, remove
 * a discarded one's worktree and branch. The web process and the CLI never run git on the town's repository; they
 * change the task (approveTask, discardTask), which enqueues a job here, and any runner of the town takes it.
 *
 * Why a BullMQ queue rather than each runner reacting to `task.approved` on the event stream: exactly one runner takes
 * a job (no merge lock to invent), a runner killed mid-merge has its job handed to another one when its lock expires,
 * and a job enqueued while no runner is up waits for the first that starts. Global concurrency 1: merges into the
 * base branch happen one at a time across all runners, so each one is checked against the base it lands on.
 */
import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Town } from "../town/town";
import { queuesOf } from "./queue-cache";

export type WorkspaceJobKind = "merge" | "discard";

export interface WorkspaceJobData {
  kind: WorkspaceJobKind;
  taskId: string;
}

export const WORKSPACE_QUEUE = "workspace";
/** The queue cache is keyed by agent id (a UUID); this key cannot be one. */
const CACHE_KEY = "@workspace";

/** The town's workspace queue (cached with the town's agent queues, closed with the town). */
export function workspaceQueue(town: Town): Queue<WorkspaceJobData> {
  const cache = queuesOf(town) as Map<string, Queue<WorkspaceJobData>>;
  let q = cache.get(CACHE_KEY);
  if (!q) {
    q = new Queue<WorkspaceJobData>(WORKSPACE_QUEUE, {
      connection: town.redis,
      prefix: town.keys.bullPrefix,
      skipVersionCheck: true,
    });
    cache.set(CACHE_KEY, q);
  }
  return q;
}

/**
 * Enqueues git work on a task. The job id carries the task's version, so the same change enqueued twice is one job,
 * and a later approval of the same task is a new one.
 */
export async function enqueueWorkspaceJob(
  town: Town,
  task: { id: string; version: number },
  kind: WorkspaceJobKind,
): Promise<void> {
  await workspaceQueue(town).add(
    kind,
    { kind, taskId: task.id },
    {
      jobId: `${kind}.${task.id}.${task.version}`,
      removeOnComplete: true,
      removeOnFail: 100,
      attempts: 3,
      backoff: { type: "fixed", delay: 1_000 },
    },
  );
}

/** A runner's worker on the workspace queue: one job at a time here, and one at a time across the town. */
export async function openWorkspaceWorker(
  town: Town,
  process: (job: Job<WorkspaceJobData>) => Promise<string>,
  opts: { connection: Redis; runnerId: string; lockDurationMs: number; stalledIntervalMs: number },
): Promise<Worker<WorkspaceJobData, string>> {
  await workspaceQueue(town).setGlobalConcurrency(1);
  return new Worker<WorkspaceJobData, string>(WORKSPACE_QUEUE, process, {
    connection: opts.connection,
    prefix: town.keys.bullPrefix,
    name: opts.runnerId,
    concurrency: 1,
    lockDuration: opts.lockDurationMs,
    stalledInterval: opts.stalledIntervalMs,
    drainDelay: 5,
    skipVersionCheck: true,
  });
}
