/**
 * Task branches through a shared remote (`workspace.remote`), so that a runner on another machine can continue
 * or merge a task: push after each run, fetch before a follow-up or a merge. Pushes never force: a branch only
 * grows, and a push that would drop commits is refused (CONFLICT). Fetches land in `refs/tinytown/remote/…` and
 * move the local branch only forward.
 */
import { CoreError } from "../errors";
import { git, stderrTail } from "./git";
import { checkRemote, checkTaskBranch } from "./names";
import { isAncestor, listWorktrees, resolveRef, type Workspace } from "./repo";

const NETWORK_TIMEOUT_MS = 300_000;

function remoteOf(ws: Workspace): string {
  if (!ws.config.remote) {
    throw new CoreError("VALIDATION", "no shared remote: set workspace.remote in tinytown.json", {
      reason: "no_remote",
    });
  }
  return checkRemote(ws.config.remote);
}

/** Where a fetched task branch is kept before the local branch moves to it. */
const fetchedRef = (branch: string) => `refs/tinytown/remote/${branch}`;

/** Pushes a task branch to the remote (fast-forward only). */
export async function pushBranch(ws: Workspace, branch: string): Promise<void> {
  const remote = remoteOf(ws);
  checkTaskBranch(branch);
  const r = await git(
    [
      "push",
      "--quiet",
      "--no-verify",
      "--porcelain",
      "--end-of-options",
      remote,
      `refs/heads/${branch}:refs/heads/${branch}`,
    ],
    { cwd: ws.repo, timeoutMs: NETWORK_TIMEOUT_MS, okCodes: [1, 128] },
  );
  if (r.code === 0) return;
  const out = `${r.stdout.toString("utf8")}\n${r.stderr}`;
  if (/\[rejected\]|non-fast-forward|fetch first/.test(out)) {
    throw new CoreError(
      "CONFLICT",
      `${remote} has commits on ${branch} that this repository does not: fetch them first (another runner continued the task)`,
      { reason: "not_fast_forward", branch },
    );
  }
  throw new CoreError("INTERNAL", `git push of ${branch} to ${remote} failed: ${stderrTail(r.stderr)}`, {
    reason: "push_failed",
  });
}

/** Deletes a task branch on the remote; a branch already gone is fine. */
export async function deleteRemoteBranch(ws: Workspace, branch: string): Promise<void> {
  const remote = remoteOf(ws);
  checkTaskBranch(branch);
  const r = await git(["push", "--quiet", "--no-verify", "--end-of-options", remote, `:refs/heads/${branch}`], {
    cwd: ws.repo,
    timeoutMs: NETWORK_TIMEOUT_MS,
    okCodes: [1],
  });
  if (r.code !== 0 && !/remote ref does not exist/.test(r.stderr)) {
    throw new CoreError("INTERNAL", `deleting ${branch} on ${remote} failed: ${stderrTail(r.stderr)}`, {
      reason: "push_failed",
    });
  }
}

export type FetchResult =
  /** The remote has no such branch. */
  | "absent"
  /** The local branch did not exist: created at the remote's commit. */
  | "created"
  | "up_to_date"
  /** The local branch moved forward to the remote's commit (and its worktree, if any, with it). */
  | "fast_forwarded"
  /** The local branch has commits the remote lacks (push them). */
  | "ahead";

/**
 * Fetches a task branch from the remote and moves the local branch forward to it. A local branch that
 * diverged from the remote's is left alone and reported (CONFLICT). A branch checked out in a worktree moves
 * only when that worktree is clean.
 */
export async function fetchBranch(ws: Workspace, branch: string): Promise<FetchResult> {
  const remote = remoteOf(ws);
  checkTaskBranch(branch);
  const r = await git(
    [
      "fetch",
      "--quiet",
      "--no-tags",
      "--no-write-fetch-head",
      "--no-recurse-submodules",
      "--end-of-options",
      remote,
      `+refs/heads/${branch}:${fetchedRef(branch)}`,
    ],
    { cwd: ws.repo, timeoutMs: NETWORK_TIMEOUT_MS, okCodes: [1, 128] },
  );
  if (r.code !== 0) {
    if (/couldn't find remote ref/i.test(r.stderr)) return "absent";
    throw new CoreError("INTERNAL", `git fetch of ${branch} from ${remote} failed: ${stderrTail(r.stderr)}`, {
      reason: "fetch_failed",
    });
  }
  const theirs = (await resolveRef(ws.repo, fetchedRef(branch)))!;
  const ours = await resolveRef(ws.repo, `refs/heads/${branch}`);
  if (!ours) {
    // Create only if still absent (an empty old value): a racing creator wins and we report what it made.
    const c = await git(["update-ref", `refs/heads/${branch}`, theirs, ""], { cwd: ws.repo, okCodes: [128] });
    return c.code === 0 ? "created" : fetchBranch(ws, branch);
  }
  if (ours === theirs) return "up_to_date";
  if (await isAncestor(ws.repo, theirs, ours)) return "ahead";
  if (!(await isAncestor(ws.repo, ours, theirs))) {
    throw new CoreError(
      "CONFLICT",
      `${branch} diverged: this repository and ${remote} each have commits the other lacks; merge them by hand or discard one`,
      { reason: "diverged", branch, ours, theirs },
    );
  }
  const checkout = (await listWorktrees(ws)).find((w) => w.branch === branch);
  if (checkout) {
    // `merge --ff-only` moves the branch, the index and the files together and refuses to overwrite changes.
    await git(["merge", "--ff-only", "--quiet", "--no-stat", theirs], { cwd: checkout.path });
  } else {
    await git(["update-ref", `refs/heads/${branch}`, theirs, ours], { cwd: ws.repo });
  }
  return "fast_forwarded";
}

/**
 * Pushes the base branch to the remote after a merge (fast-forward only), so runners on other machines start new
 * task branches from it. CONFLICT when the remote's base has commits this repository lacks.
 */
export async function pushBase(ws: Workspace): Promise<void> {
  const remote = remoteOf(ws);
  const r = await git(
    [
      "push",
      "--quiet",
      "--no-verify",
      "--porcelain",
      "--end-of-options",
      remote,
      `refs/heads/${ws.base}:refs/heads/${ws.base}`,
    ],
    { cwd: ws.repo, timeoutMs: NETWORK_TIMEOUT_MS, okCodes: [1, 128] },
  );
  if (r.code === 0) return;
  const out = `${r.stdout.toString("utf8")}\n${r.stderr}`;
  if (/\[rejected\]|non-fast-forward|fetch first/.test(out)) {
    throw new CoreError(
      "CONFLICT",
      `${remote} has commits on ${ws.base} that this repository does not: pull them first`,
      {
        reason: "not_fast_forward",
        branch: ws.base,
      },
    );
  }
  throw new CoreError("INTERNAL", `git push of ${ws.base} to ${remote} failed: ${stderrTail(r.stderr)}`, {
    reason: "push_failed",
  });
}
