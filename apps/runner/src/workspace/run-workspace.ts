/**
 * A run in the task's git worktree (when the town has a workspace): before the launch, the worktree is created or
 * reused (fetched from the shared remote first for a follow-up) and the setup step runs with its output in the task's
 * log; after the process exits, what the agent left is committed on the task's branch, pushed to the shared remote,
 * and recorded with the task (so every dashboard can show the diff); once the run is settled, a dry-run merge records
 * any conflict with the base before anyone presses Merge. Outside a repository every step is a no-op.
 */
import {
  captureChanges,
  checkMerge,
  findTask,
  formatChangeRequest,
  getTaskChanges,
  isCoreError,
  pushBranch,
  recordChanges,
  recordMergeCheck,
  removeWorktree,
  ensureWorktree,
  type Agent,
  type Task,
  type TaskWorktree,
} from "@tinytown/core";
import type { ActiveRun, RunnerContext } from "../context";
import type { TaskOutput } from "../process/task-output";
import { workspaceOf } from "./workspace-of";

interface RunWorktree extends TaskWorktree {
  agent: string;
  title: string;
}

/** The worktree of each run that has one (read by the capture when the run ends). */
const worktrees = new WeakMap<ActiveRun, RunWorktree>();

/**
 * Prepares the task's worktree and runs the setup step, its output in the task's log. Returns the directory the agent
 * runs in (null: no workspace, run where the model says), or the reason the run cannot start (the task then fails).
 */
export async function prepareWorktree(
  ctx: RunnerContext,
  run: ActiveRun,
  agent: Agent,
  task: Task,
  output: TaskOutput,
): Promise<{ cwd: string | null } | { error: string }> {
  try {
    const ws = await workspaceOf(ctx);
    if (!ws) return { cwd: null };
    const wt = await ensureWorktree(ws, {
      taskId: task.id,
      agent: agent.name,
      branch: task.workspace?.branch ?? null,
      onOutput: (line, stream) => output.write(stream, line),
    });
    worktrees.set(run, { ...wt, agent: agent.name, title: task.description });
    output.sys(`${wt.created ? "created" : "reusing"} worktree ${wt.path} on branch ${wt.branch} (base ${ws.base})`);
    return { cwd: wt.path };
  } catch (err) {
    return { error: `workspace: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The prompt section of a follow-up asked for by reviewers (their comments, file and line); "" otherwise. */
export async function changeRequestSection(ctx: RunnerContext, task: Task): Promise<string> {
  if (task.review?.status !== "changes_requested") return "";
  const changes = await getTaskChanges(ctx.town, task.id);
  return formatChangeRequest({
    branch: task.workspace?.branch ?? null,
    base: task.workspace?.base ?? null,
    round: task.review.round,
    comments: changes.comments,
    conflict: task.review.conflict,
  });
}

/**
 * After the agent's process exited: commit its leftovers (author: the agent; trailer: the task id), push the branch
 * to the shared remote, and record the diff with the task. When the task is still running at the run's version, the
 * change is made at that version and the run carries the new one, so the run's own verdict still applies. A failure
 * is logged and leaves the work on the branch (a later run or `tt workspace prune` sees it): the run still settles.
 */
export async function captureRun(ctx: RunnerContext, run: ActiveRun): Promise<void> {
  const wt = worktrees.get(run);
  if (!wt) return;
  const ws = await workspaceOf(ctx);
  if (!ws) return;
  try {
    const cur = await findTask(ctx.town, run.taskId);
    if (!cur) return;
    const changes = await captureChanges(ws, {
      path: wt.path,
      branch: wt.branch,
      taskId: run.taskId,
      agent: wt.agent,
      title: wt.title,
      attempt: cur.attempts,
    });
    if (ws.config.remote) {
      await pushBranch(ws, wt.branch).catch((err: unknown) =>
        ctx.log.warn(`task ${run.taskId.slice(0, 8)}: push of ${wt.branch} failed: ${String(err)}`),
      );
    }
    const ours = cur.state === "running" && cur.version === run.version;
    const input = { taskId: run.taskId, by: ctx.by, changes };
    let next: Task;
    try {
      next = await recordChanges(ctx.town, ours ? { ...input, expectedVersion: run.version } : input);
    } catch (err) {
      if (!ours || !isCoreError(err, "CONFLICT")) throw err;
      next = await recordChanges(ctx.town, input);
    }
    if (ours && next.version === cur.version + 1) run.version = next.version;
  } catch (err) {
    ctx.log.warn(`task ${run.taskId.slice(0, 8)}: capture of ${wt.branch} failed: ${String(err)}`);
  }
}

/**
 * After the run settled: a completed task waiting for review gets a dry-run merge against the base (conflicts shown
 * before anyone presses Merge); a completed task with nothing to review has its worktree and branch removed.
 */
export async function afterRunSettled(ctx: RunnerContext, run: ActiveRun): Promise<void> {
  const wt = worktrees.get(run);
  if (!wt) return;
  worktrees.delete(run);
  try {
    const ws = await workspaceOf(ctx);
    const t = await findTask(ctx.town, run.taskId);
    if (!ws || !t || t.state !== "completed") return;
    if (t.review?.status === "waiting") await checkTaskMerge(ctx, t);
    else if (!t.review && t.workspace?.stats.files === 0) await removeWorktree(ws, { branch: wt.branch });
  } catch (err) {
    ctx.log.warn(`task ${run.taskId.slice(0, 8)}: merge check failed: ${String(err)}`);
  }
}

/** A dry-run merge of the task's branch into the base, recorded with the task (a no-op when nothing changed). */
export async function checkTaskMerge(ctx: RunnerContext, t: Task): Promise<void> {
  const ws = await workspaceOf(ctx);
  if (!ws || !t.workspace) return;
  const check = await checkMerge(ws, { branch: t.workspace.branch });
  await recordMergeCheck(ctx.town, {
    taskId: t.id,
    by: ctx.by,
    baseHead: check.baseHead,
    conflicts: check.conflicts,
  });
}
