/**
 * A task's worktree: `.tt/worktrees/<task-short>` on branch `tt/<agent>/<task-short>`, created from the base
 * and reused as-is by every later attempt of the same task; removed (with its branch) when the task is merged
 * or discarded, or by `pruneWorktrees` when nothing needs it any more.
 *
 * Each worktree is locked with the reason `tinytown task <id>`: that is how a directory is known to belong to a
 * task (two tasks whose ids share a prefix get a longer one), and it keeps `git worktree prune` run by hand
 * from dropping it while its directory is briefly unavailable.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CoreError, isCoreError } from "../errors";
import { git } from "./git";
import { branchTaskRef, checkTaskBranch, checkTaskId, SHORT_LENGTHS, taskBranch, worktreeName } from "./names";
import { baseHead, isAncestor, listWorktrees, resolveRef, samePath, type Workspace, type WorktreeEntry } from "./repo";
import { fetchBranch } from "./remote";
import { runSetup, type OutputLine } from "./setup";

const lockReason = (taskId: string) => `tinytown task ${taskId}`;
const lockedTask = (w: WorktreeEntry) => /^tinytown task (\S+)$/.exec(w.locked ?? "")?.[1] ?? null;

export interface EnsureWorktreeInput {
  taskId: string;
  /** The agent's name (the branch's middle component when the task has no branch yet). */
  agent: string;
  /** The branch recorded with the task by an earlier attempt: reused whatever agent runs now. */
  branch?: string | null;
  /** Setup output, line by line (the task log). */
  onOutput?: OutputLine;
  /** Run `workspace.copy` and `workspace.setup` (default true). */
  setup?: boolean;
}

export interface TaskWorktree {
  path: string;
  branch: string;
  /** True when this call created the worktree (a first attempt, or a branch fetched from the remote). */
  created: boolean;
}

/**
 * Creates or reuses the worktree of a task, then runs the setup step in it. With `branch` (a follow-up
 * attempt), that branch is used, first brought up to date from `workspace.remote` when one is set (CONFLICT
 * if it diverged); without it, a new branch starts at the base. Refuses (VALIDATION) hostile ids, names and
 * branches before touching anything.
 */
export async function ensureWorktree(ws: Workspace, input: EnsureWorktreeInput): Promise<TaskWorktree> {
  const taskId = checkTaskId(input.taskId);
  const recorded = input.branch ? checkTaskBranch(input.branch) : null;
  const candidates = recorded ? [recorded] : SHORT_LENGTHS.map((n) => taskBranch(input.agent, taskId, n));
  mkdirSync(ws.worktreesDir, { recursive: true, mode: 0o700 });
  // A follow-up continues from the newest commits, wherever they were made.
  if (recorded && ws.config.remote) await fetchBranch(ws, recorded);
  for (const branch of candidates) {
    const wt = await tryBranch(ws, taskId, branch, recorded !== null);
    if (wt) {
      if (input.setup !== false) await runSetup(ws, wt.path, input.onOutput);
      return wt;
    }
  }
  throw new CoreError("CONFLICT", `no free branch name for task ${taskId}: every candidate is taken`, {
    reason: "name_taken",
  });
}

/** The worktree of `branch` for `taskId`, created or reused; null when that name belongs to another task. */
async function tryBranch(
  ws: Workspace,
  taskId: string,
  branch: string,
  recorded: boolean,
): Promise<TaskWorktree | null> {
  const path = join(ws.worktreesDir, worktreeName(branch));
  const all = await listWorktrees(ws);
  const here = all.find((w) => samePath(w.path, path));
  const taken = (why: string) => {
    if (!recorded) return null;
    throw new CoreError("CONFLICT", `the worktree of task ${taskId} cannot be used: ${why}`, { reason: "name_taken" });
  };
  if (here) {
    const owner = lockedTask(here);
    if (owner === taskId && here.branch !== branch) {
      throw new CoreError(
        "INVALID_STATE",
        `the worktree ${path} of task ${taskId} is on ${here.branch ?? "a detached HEAD"}, not on ${branch}: check out ${branch} there (keeping the agent's work), then run it again`,
        { reason: "wrong_branch" },
      );
    }
    if (here.branch !== branch || (owner !== null && owner !== taskId)) {
      return taken(`${path} holds ${here.branch ?? "a detached HEAD"} of task ${owner ?? "?"}`);
    }
    if (existsSync(path)) {
      if (owner === null) await git(["worktree", "lock", "--reason", lockReason(taskId), path], { cwd: ws.repo });
      return { path, branch, created: false };
    }
    // Registered but its directory is gone: forget it and check the branch out again below.
    await git(["worktree", "unlock", path], { cwd: ws.repo, okCodes: [128] });
    await git(["worktree", "prune"], { cwd: ws.repo });
  }
  const elsewhere = all.find((w) => w.branch === branch && !samePath(w.path, path));
  if (elsewhere) return taken(`${branch} is checked out in ${elsewhere.path}`);
  if (existsSync(path)) {
    if (!recorded && readdirSync(path).length > 0) return null;
    // A leftover directory git does not know (a crash while it was being created): it is ours to replace.
    rmSync(path, { recursive: true, force: true });
  }
  const tip = await resolveRef(ws.repo, `refs/heads/${branch}`);
  const lock = ["--lock", "--reason", lockReason(taskId)];
  if (tip) {
    if (recorded)
      return addWorktree(ws, ["--quiet", ...lock, "--end-of-options", path, branch], { path, branch, recorded });
    // An unrecorded branch of this name holds someone's commits, unless it is at or behind the base: then it holds
    // nothing of anyone's and starts again from the base.
    if (!(await isAncestor(ws.repo, tip, await baseHead(ws)))) return null;
    const from = `refs/heads/${ws.base}`;
    return addWorktree(ws, ["--quiet", ...lock, "-B", branch, "--end-of-options", path, from], {
      path,
      branch,
      recorded,
    });
  }
  if (recorded) {
    throw new CoreError(
      "NOT_FOUND",
      `the branch ${branch} of task ${taskId} is not in ${ws.repo}${ws.config.remote ? ` nor on ${ws.config.remote}` : ""}: it was deleted, or made on another machine (set workspace.remote to share task branches)`,
      { reason: "branch_missing", branch },
    );
  }
  const from = `refs/heads/${ws.base}`;
  return addWorktree(ws, ["--quiet", ...lock, "-b", branch, "--end-of-options", path, from], {
    path,
    branch,
    recorded,
  });
}

/**
 * `git worktree add`; when another task (two ids sharing a prefix, started at once) took the directory or the
 * branch name first, null so that the caller tries a longer name.
 */
async function addWorktree(
  ws: Workspace,
  args: string[],
  t: { path: string; branch: string; recorded: boolean },
): Promise<TaskWorktree | null> {
  try {
    await git(["worktree", "add", ...args], { cwd: ws.repo });
  } catch (err) {
    if (
      !t.recorded &&
      isCoreError(err) &&
      /already exists|already checked out|already used by worktree/.test(err.message)
    )
      return null;
    throw err;
  }
  return { path: t.path, branch: t.branch, created: true };
}

/** Where a task branch's worktree lives (whether or not it exists). */
export function worktreePath(ws: Workspace, branch: string): string {
  return join(ws.worktreesDir, worktreeName(branch));
}

export interface RemoveWorktreeInput {
  branch: string;
  /** Delete the branch too (default true): a merged or discarded task's work is in the base, or dropped. */
  deleteBranch?: boolean;
}

/**
 * Removes a task's worktree (whatever it holds: discarding means discarding) and, by default, its branch.
 * Idempotent: a worktree or branch already gone is fine. Only task branches (`tt/…`) are accepted.
 */
export async function removeWorktree(ws: Workspace, input: RemoveWorktreeInput): Promise<void> {
  const branch = checkTaskBranch(input.branch);
  const path = worktreePath(ws, branch);
  const all = await listWorktrees(ws);
  for (const w of all.filter((x) => x.branch === branch || samePath(x.path, path))) {
    if (samePath(w.path, ws.repo)) continue;
    await git(["worktree", "unlock", w.path], { cwd: ws.repo, okCodes: [128] });
    await git(["worktree", "remove", "--force", "--force", w.path], { cwd: ws.repo, okCodes: [128] });
  }
  if (existsSync(path)) rmSync(path, { recursive: true, force: true });
  await git(["worktree", "prune"], { cwd: ws.repo });
  if (input.deleteBranch !== false) {
    await git(["update-ref", "-d", `refs/heads/${branch}`], { cwd: ws.repo, okCodes: [1, 128] });
  }
}

export interface LeftoverWorktree {
  /** The worktree directory; null for a task branch with no worktree. */
  path: string | null;
  branch: string | null;
  /** The task's full id (from the lock), or the id prefix a branch or directory names. */
  taskRef: string | null;
}

/**
 * Removes what no task needs any more: worktrees under `.tt/worktrees` for which `keep` says false (it gets the
 * task id or id prefix: look the task up and decide), directories there that git does not know, then
 * `git worktree prune`. With `branches`, also task branches (`tt/…`) checked out nowhere that `keep` does not
 * keep — only when this town is the only one using the repository (another town's idle branches look orphaned
 * here). Returns what was removed.
 */
export async function pruneWorktrees(
  ws: Workspace,
  keep: (entry: LeftoverWorktree) => boolean | Promise<boolean>,
  opts: { branches?: boolean } = {},
): Promise<LeftoverWorktree[]> {
  await git(["worktree", "prune"], { cwd: ws.repo });
  const removed: LeftoverWorktree[] = [];
  const all = await listWorktrees(ws);
  const ours = all.filter((w) => !samePath(w.path, ws.repo) && isUnder(ws, w.path));
  for (const w of ours) {
    const entry: LeftoverWorktree = { path: w.path, branch: w.branch, taskRef: lockedTask(w) ?? taskRefOf(w.branch) };
    if (await keep(entry)) continue;
    if (w.branch && isTaskBranch(w.branch)) await removeWorktree(ws, { branch: w.branch });
    else {
      await git(["worktree", "unlock", w.path], { cwd: ws.repo, okCodes: [128] });
      await git(["worktree", "remove", "--force", "--force", w.path], { cwd: ws.repo, okCodes: [128] });
    }
    removed.push(entry);
  }
  if (existsSync(ws.worktreesDir)) {
    const known = all.map((w) => w.path);
    for (const name of readdirSync(ws.worktreesDir)) {
      const path = join(ws.worktreesDir, name);
      if (known.some((k) => samePath(k, path))) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push({ path, branch: null, taskRef: null });
    }
  }
  if (!opts.branches) {
    await git(["worktree", "prune"], { cwd: ws.repo });
    return removed;
  }
  const refs = (await git(["for-each-ref", "--format=%(refname:lstrip=2)", "refs/heads/tt/"], { cwd: ws.repo })).stdout
    .toString("utf8")
    .split("\n")
    .filter((b) => b && isTaskBranch(b));
  const checkedOut = new Set((await listWorktrees(ws)).map((w) => w.branch));
  for (const branch of refs) {
    if (checkedOut.has(branch)) continue;
    const entry: LeftoverWorktree = { path: null, branch, taskRef: branchTaskRef(branch) };
    if (await keep(entry)) continue;
    await git(["update-ref", "-d", `refs/heads/${branch}`], { cwd: ws.repo, okCodes: [1, 128] });
    removed.push(entry);
  }
  await git(["worktree", "prune"], { cwd: ws.repo });
  return removed;
}

function isUnder(ws: Workspace, p: string): boolean {
  return samePath(join(p, ".."), ws.worktreesDir);
}

function isTaskBranch(b: string): boolean {
  try {
    checkTaskBranch(b);
    return true;
  } catch {
    return false;
  }
}

function taskRefOf(branch: string | null): string | null {
  return branch && isTaskBranch(branch) ? branchTaskRef(branch) : null;
}
