/**
 * After a run: commit what the agent left uncommitted on its branch, then describe the branch's changes against
 * its merge base with the base branch — stats, the file list, and the unified diff cut at `workspace.diffMaxBytes`.
 * Everything comes from git's own machine formats (`--numstat -z`, `--name-status -z`); the unified diff is
 * kept as git prints it, never re-parsed.
 */
import { existsSync } from "node:fs";
import { CoreError } from "../errors";
import { git, gitText, splitZ } from "./git";
import { authorEnv, committerEnv, firstLine, identity } from "./identity";
import { checkRelativePath, checkTaskBranch, checkTaskId } from "./names";
import { baseHead, operationInProgress, type Workspace } from "./repo";
import type { ChangedFile, DiffStats, FileStatus } from "../task/review";

/** The file list recorded with a task stops here (the stats still count every file). */
export const MAX_FILES = 3000;

/** Options every diff of a capture shares, so that all three list the same files in the same order. */
const DIFF_OPTS = [
  "--find-renames",
  "--no-ext-diff",
  "--no-textconv",
  "--no-color",
  "--no-relative",
  "--src-prefix=a/",
  "--dst-prefix=b/",
  "--ignore-submodules=none",
];

export interface CaptureInput {
  /** The task's worktree (from `ensureWorktree`). */
  path: string;
  branch: string;
  taskId: string;
  /** The agent: author of the commit. */
  agent: string;
  /** The task's text: its first line is the commit's subject. */
  title: string;
  attempt?: number;
}

export interface CapturedChanges {
  branch: string;
  /** The worktree the changes were captured in. */
  worktree: string;
  base: string;
  /** The base branch's commit when captured. */
  baseHead: string;
  /** Where the branch left the base: the diff is `mergeBase..head`. */
  mergeBase: string;
  head: string;
  /** The commit made for what the agent left uncommitted; null when it left nothing. */
  commit: string | null;
  stats: DiffStats;
  files: ChangedFile[];
  /** More than MAX_FILES files changed: `files` holds the first MAX_FILES. */
  filesTruncated: boolean;
  /** The unified diff (git's text; bytes that are not UTF-8 shown as U+FFFD). */
  diff: string;
  /** The diff was longer than `workspace.diffMaxBytes` and was cut at a file or hunk boundary. */
  diffTruncated: boolean;
}

/** Commits the agent's leftovers on its branch and computes the branch's diff against its merge base. */
export async function captureChanges(ws: Workspace, input: CaptureInput): Promise<CapturedChanges> {
  const branch = checkTaskBranch(input.branch);
  const taskId = checkTaskId(input.taskId);
  const cwd = input.path;
  if (!existsSync(cwd)) {
    throw new CoreError("NOT_FOUND", `the worktree ${cwd} of task ${taskId} is gone: nothing to capture`, {
      reason: "worktree_missing",
    });
  }
  await checkOnBranch(cwd, branch, taskId);
  const commit = await commitLeftovers(ws, cwd, input);
  const head = await gitText(["rev-parse", "--verify", "HEAD^{commit}"], { cwd });
  const base = await baseHead(ws);
  const mb = await git(["merge-base", base, head], { cwd, okCodes: [1] });
  if (mb.code !== 0) {
    throw new CoreError(
      "INVALID_STATE",
      `${branch} has no history in common with ${ws.base}: it cannot be reviewed or merged`,
      {
        reason: "unrelated_histories",
      },
    );
  }
  const mergeBase = mb.stdout.toString("utf8").trim();
  const range = [mergeBase, head];
  const [numstat, nameStatus, patch] = await Promise.all([
    git(["diff", ...DIFF_OPTS, "--numstat", "-z", ...range], { cwd }),
    git(["diff", ...DIFF_OPTS, "--name-status", "-z", ...range], { cwd }),
    git(["diff", ...DIFF_OPTS, "--patch", ...range], { cwd, maxBytes: ws.config.diffMaxBytes + 1, truncate: true }),
  ]);
  const all = parseFiles(numstat.stdout, nameStatus.stdout);
  const stats: DiffStats = {
    files: all.length,
    additions: all.reduce((n, f) => n + (f.additions ?? 0), 0),
    deletions: all.reduce((n, f) => n + (f.deletions ?? 0), 0),
    binary: all.filter((f) => f.binary).length,
  };
  const cut = capDiff(patch.stdout, ws.config.diffMaxBytes);
  return {
    branch,
    worktree: cwd,
    base: ws.base,
    baseHead: base,
    mergeBase,
    head,
    commit,
    stats,
    files: all.slice(0, MAX_FILES),
    filesTruncated: all.length > MAX_FILES,
    diff: cut.text,
    diffTruncated: cut.truncated,
  };
}

/** The agent may not leave its worktree on another branch or in the middle of a merge or rebase. */
async function checkOnBranch(cwd: string, branch: string, taskId: string): Promise<void> {
  const head = await git(["symbolic-ref", "--quiet", "HEAD"], { cwd, okCodes: [1] });
  const on = head.stdout.toString("utf8").trim();
  if (on !== `refs/heads/${branch}`) {
    throw new CoreError(
      "INVALID_STATE",
      `the worktree of task ${taskId} is on ${on ? on.replace("refs/heads/", "") : "a detached HEAD"}, not on ${branch}: check out ${branch} in ${cwd} (keeping the agent's work), then capture again`,
      { reason: "wrong_branch" },
    );
  }
  const busy = await operationInProgress(cwd);
  if (busy) {
    throw new CoreError(
      "INVALID_STATE",
      `the agent left a ${busy} in progress in ${cwd}: finish or abort it there, then capture again`,
      { reason: "operation_in_progress" },
    );
  }
}

/** Stages everything (but untracked files copied in by setup) and commits it; null when there is nothing. */
async function commitLeftovers(ws: Workspace, cwd: string, input: CaptureInput): Promise<string | null> {
  const copied = ws.config.copy.map((p) => checkRelativePath(p));
  let exclude: string[] = [];
  if (copied.length > 0) {
    const tracked = splitZ(
      (await git(["ls-files", "-z", "--", ...copied.map((p) => `:(literal,top)${p}`)], { cwd })).stdout,
    );
    exclude = copied
      .filter((p) => !tracked.some((t) => t === p || t.startsWith(`${p}/`)))
      .map((p) => `:(exclude,literal,top)${p}`);
  }
  await git(["add", "--all", "--", ":/", ...exclude], { cwd });
  const staged = await git(["diff", "--cached", "--quiet", "--ignore-submodules=none"], { cwd, okCodes: [1] });
  if (staged.code === 0) return null;
  const who = identity(input.agent, ws.config.authorEmailDomain);
  const subject = firstLine(input.title, 72) || `task ${input.taskId.slice(0, 8)}`;
  const message =
    `${subject}\n\n` +
    `Work left uncommitted by agent ${input.agent}${input.attempt ? ` (attempt ${input.attempt})` : ""}, committed by Tinytown.\n\n` +
    `Tinytown-Task: ${input.taskId}\n`;
  await git(["commit", "--quiet", "--no-verify", "--no-gpg-sign", "--cleanup=verbatim", "--file=-"], {
    cwd,
    input: message,
    env: { ...authorEnv(who), ...committerEnv(who) },
  });
  return gitText(["rev-parse", "--verify", "HEAD^{commit}"], { cwd });
}

/** Joins `--numstat -z` and `--name-status -z` of the same diff (same options: same files, same order). */
export function parseFiles(numstat: Buffer, nameStatus: Buffer): ChangedFile[] {
  const counts: { additions: number | null; deletions: number | null; binary: boolean }[] = [];
  const nf = splitZ(numstat);
  for (let i = 0; i < nf.length;) {
    const [a, d, path] = nf[i]!.split("\t");
    counts.push(
      a === "-"
        ? { additions: null, deletions: null, binary: true }
        : { additions: Number(a), deletions: Number(d), binary: false },
    );
    // A rename or copy leaves the path field empty and gives the old and new paths as the next two fields.
    i += path === "" ? 3 : 1;
  }
  const files: ChangedFile[] = [];
  const sf = splitZ(nameStatus);
  for (let i = 0; i < sf.length;) {
    const code = sf[i]!;
    const letter = code[0]!;
    const twoPaths = letter === "R" || letter === "C";
    const path = twoPaths ? sf[i + 2]! : sf[i + 1]!;
    const oldPath = twoPaths ? sf[i + 1]! : null;
    const c = counts[files.length] ?? { additions: null, deletions: null, binary: false };
    files.push({ path, oldPath, status: STATUS[letter] ?? "modified", ...c });
    i += twoPaths ? 3 : 2;
  }
  return files;
}

const STATUS: Record<string, FileStatus> = {
  A: "added",
  M: "modified",
  D: "deleted",
  R: "renamed",
  C: "copied",
  T: "type_changed",
};

/**
 * Cuts a unified diff to at most `max` bytes at the last file boundary (`diff --git`) before the limit, else at
 * the last hunk boundary (`@@`), so what is kept parses as a diff; marks whether anything was cut.
 */
export function capDiff(buf: Buffer, max: number): { text: string; truncated: boolean } {
  if (buf.length <= max) return { text: buf.toString("utf8"), truncated: false };
  const head = buf.subarray(0, max);
  let end = head.lastIndexOf("\ndiff --git ");
  if (end <= 0) end = head.lastIndexOf("\n@@ ");
  if (end <= 0) end = head.lastIndexOf("\n");
  return { text: head.subarray(0, end + 1).toString("utf8"), truncated: true };
}
