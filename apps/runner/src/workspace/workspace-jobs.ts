/**
 * The runner's side of the town's workspace queue (core `dispatch/workspace-queue.ts`): merges of approved tasks and
 * removals of discarded ones, done here and never by the web process. A merge fetches the branch from the shared
 * remote, merges it into the base (the town's mode or the one asked for at approval), records the outcome — the
 * merge commit, or the conflicting files / the reason it was refused, which sends the task back to waiting — then
 * pushes the base to the remote, and removes the worktree and the branch (here and on the remote).
 */
import type { Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import {
  baseHead,
  createRedis,
  deleteRemoteBranch,
  fetchBranch,
  findAgent,
  enqueueWorkspaceJob,
  findTask,
  listTasks,
  isCoreError,
  mergeBranch,
  openWorkspaceWorker,
  pushBase,
  recordMerge,
  recordMergeCheck,
  removeWorktree,
  type Task,
  type Workspace,
  type WorkspaceJobData,
} from "@tinytown/core";
import type { RunnerContext } from "../context";
import { checkTaskMerge } from "./run-workspace";
import { workspaceOf } from "./workspace-of";

/** How many of the most recently completed tasks are checked again after a merge moved the base. */
const RECHECK_LIMIT = 200;

export interface WorkspaceWorker {
  close(): Promise<void>;
}

/** Opens this runner's worker on the workspace queue when the town has a workspace (else nothing to serve). */
export async function serveWorkspaceQueue(ctx: RunnerContext): Promise<WorkspaceWorker> {
  let ws: Workspace | null;
  try {
    ws = await workspaceOf(ctx);
  } catch (err) {
    ctx.log.warn(`workspace: ${String(err)}; merges and discards wait for a runner that can do them`);
    ws = null;
  }
  if (!ws) return { close: async () => undefined };
  const conn: Redis = createRedis(ctx.town.redisUrl, {
    blocking: true,
    connectionName: `tt:${ctx.town.name}:runner:${ctx.id}:workspace`,
  });
  conn.on("error", (err) => ctx.log.debug(`redis (workspace): ${String(err)}`));
  const worker: Worker<WorkspaceJobData, string> = await openWorkspaceWorker(
    ctx.town,
    (job) => workspaceJob(ctx, ws, job),
    {
      connection: conn,
      runnerId: ctx.id,
      lockDurationMs: ctx.settings.lockDurationMs,
      stalledIntervalMs: ctx.settings.stalledIntervalMs,
    },
  );
  worker.on("error", (err) => ctx.log.warn(`workspace worker: ${String(err)}`));
  worker.on("failed", (job, err) => ctx.log.warn(`workspace job ${job?.id ?? "?"} failed: ${String(err)}`));
  const repair = () => void repairJobs(ctx).catch((err) => ctx.log.warn(`workspace jobs repair: ${String(err)}`));
  repair();
  const timer = setInterval(repair, ctx.settings.enqueueRepairMs);
  return {
    async close() {
      clearInterval(timer);
      await worker.close().catch(() => undefined);
      await conn.quit().catch(() => conn.disconnect());
    },
  };
}

/** One job; returns a short note (BullMQ's return value). A thrown error is retried by BullMQ (3 attempts). */
export async function workspaceJob(ctx: RunnerContext, ws: Workspace, job: Job<WorkspaceJobData>): Promise<string> {
  const t = await findTask(ctx.town, job.data.taskId);
  if (!t?.workspace) return "no task or no workspace";
  if (job.data.kind === "discard") {
    if (t.review?.status !== "discarded") return `review is ${t.review?.status ?? "none"}`;
    await cleanUp(ctx, ws, t.workspace.branch);
    return "discarded";
  }
  if (t.review?.status !== "approved") return `review is ${t.review?.status ?? "none"}`;
  return mergeTask(ctx, ws, t);
}

async function mergeTask(ctx: RunnerContext, ws: Workspace, t: Task): Promise<string> {
  const branch = t.workspace!.branch;
  const review = t.review!;
  try {
    if (ws.config.remote) await fetchBranch(ws, branch);
    const agent = t.assignedTo ? await findAgent(ctx.town, t.assignedTo) : null;
    const result = await mergeBranch(ws, {
      branch,
      taskId: t.id,
      title: t.description,
      agent: agent?.name ?? branch.split("/")[1]!,
      by: review.by,
      strategy: review.strategy ?? undefined,
    });
    // On the remote before the board says merged: a runner elsewhere then starts new tasks from it.
    if (ws.config.remote && result.status === "merged") {
      await pushBase(ws).catch((err: unknown) => ctx.log.warn(`push of ${ws.base}: ${String(err)}`));
    }
    await recordMerge(ctx.town, { taskId: t.id, by: ctx.by, commit: result.commit, strategy: result.strategy });
    ctx.log.info(`task ${t.id.slice(0, 8)} merged into ${ws.base} (${result.strategy}, ${result.commit.slice(0, 10)})`);
  } catch (err) {
    if (!isCoreError(err)) throw err;
    const conflicts = Array.isArray(err.details.conflicts) ? (err.details.conflicts as string[]) : [];
    const base =
      typeof err.details.baseHead === "string"
        ? err.details.baseHead
        : await baseHead(ws).catch(() => t.workspace!.baseHead);
    await recordMergeCheck(ctx.town, {
      taskId: t.id,
      by: ctx.by,
      baseHead: base,
      conflicts,
      ...(conflicts.length > 0 ? {} : { error: err.message.slice(0, 4000) }),
    });
    ctx.log.info(`task ${t.id.slice(0, 8)} not merged: ${err.message}`);
    return conflicts.length > 0 ? "conflict" : "refused";
  }
  await cleanUp(ctx, ws, branch);
  await recheckWaiting(ctx, ws, t.id);
  return "merged";
}

/** Removes the task's worktree and branch, here and on the shared remote (best effort: prune catches leftovers). */
async function cleanUp(ctx: RunnerContext, ws: Workspace, branch: string): Promise<void> {
  try {
    await removeWorktree(ws, { branch });
    if (ws.config.remote) await deleteRemoteBranch(ws, branch);
  } catch (err) {
    ctx.log.warn(`removing ${branch}: ${String(err)}`);
  }
}

/**
 * The base moved: the other tasks waiting for review on it get a new dry-run merge, so a conflict the merge created
 * shows on their cards before anyone presses Merge. Bounded to the most recently completed tasks.
 */
async function recheckWaiting(ctx: RunnerContext, ws: Workspace, merged: string): Promise<void> {
  try {
    const page = await listTasks(ctx.town, { state: "completed", limit: RECHECK_LIMIT });
    for (const t of page.items) {
      if (t.id === merged || t.review?.status !== "waiting" || t.workspace?.base !== ws.base) continue;
      await checkTaskMerge(ctx, t).catch((err: unknown) =>
        ctx.log.warn(`merge check of task ${t.id.slice(0, 8)}: ${String(err)}`),
      );
    }
  } catch (err) {
    ctx.log.warn(`merge checks after a merge: ${String(err)}`);
  }
}

/**
 * An approval whose job was lost — the process died between the task's change and the enqueue — would leave the task
 * approved for ever (only a merge's outcome leaves approved): enqueue the merges of the most recently completed
 * approved tasks again. The job id carries the task's version, so a job still queued is not doubled.
 */
async function repairJobs(ctx: RunnerContext): Promise<void> {
  if (ctx.stopping) return;
  const page = await listTasks(ctx.town, { state: "completed", limit: RECHECK_LIMIT });
  for (const t of page.items) {
    if (t.review?.status === "approved") await enqueueWorkspaceJob(ctx.town, t, "merge");
  }
}
