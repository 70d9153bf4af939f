/**
 * Names that end up in git refs and file paths: task branches `tt/<agent>/<task-short>`, worktree directories,
 * paths copied into a worktree. Everything is checked here before git or the file system sees it, so a hostile
 * name (`..`, a leading `-`, a NUL, an absolute path) is refused with VALIDATION and changes nothing.
 */
import { isAbsolute, normalize } from "node:path";
import { CoreError } from "../errors";

/** Task ids are UUIDs (lower-case hex and dashes); a prefix of 8+ of them names a branch and a worktree. */
const TASK_ID = /^[0-9a-f]{8}(?:-?[0-9a-f]){0,32}$/;
const AGENT_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** The shape of every task branch this module creates (`tt/<agent>/<task-short>`). */
const TASK_BRANCH = /^tt\/([a-z0-9][a-z0-9._-]{0,63})\/([0-9a-f][0-9a-f-]{7,35})$/;
/** Lengths of the task-id prefix tried in turn when a shorter one is taken by another task. */
export const SHORT_LENGTHS = [8, 13, 36] as const;

export function checkTaskId(id: string): string {
  if (!TASK_ID.test(id) || id.length > 36) {
    throw new CoreError("VALIDATION", `invalid task id "${printable(id)}": expected a task's UUID`, {
      reason: "bad_name",
    });
  }
  return id;
}

/**
 * An agent name as one component of a branch name. Agent names are `[a-z0-9][a-z0-9._-]*`; the few that git
 * refuses inside a ref (`..`, a trailing `.` or `.lock`) are rewritten the same way every time.
 */
export function agentRefComponent(name: string): string {
  if (!AGENT_NAME.test(name)) {
    throw new CoreError("VALIDATION", `invalid agent name "${printable(name)}" for a task branch`, {
      reason: "bad_name",
    });
  }
  return name
    .replace(/\.{2,}/g, "-")
    .replace(/\.lock$/, "-lock")
    .replace(/\.$/, "-");
}

/** The branch of a task: `tt/<agent>/<first `len` characters of the task id>`. */
export function taskBranch(agent: string, taskId: string, len: number = SHORT_LENGTHS[0]): string {
  return `tt/${agentRefComponent(agent)}/${checkTaskId(taskId).slice(0, len).replace(/-$/, "")}`;
}

/** Checks a branch name given back by a caller (e.g. recorded with a task) is a task branch; returns it. */
export function checkTaskBranch(branch: string): string {
  const m = TASK_BRANCH.exec(branch);
  if (!m || branch.includes("..") || /\.lock$|\.$|--/.test(m[1]!) || m[2]!.endsWith("-")) {
    throw new CoreError(
      "VALIDATION",
      `invalid task branch "${printable(branch)}": task branches are tt/<agent>/<task-id prefix>`,
      { reason: "bad_name" },
    );
  }
  return branch;
}

/** The worktree directory name of a task branch: its last component (the task-id prefix). */
export function worktreeName(branch: string): string {
  return checkTaskBranch(branch).split("/")[2]!;
}

/** The task-id prefix (or full id) a task branch names. */
export function branchTaskRef(branch: string): string {
  return worktreeName(branch);
}

/**
 * A branch name from the config (the base): git's rules, stricter where they are obscure. `git check-ref-format`
 * confirms it when the workspace is resolved.
 */
export const BRANCH_NAME =
  /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!.*\/\.)(?!\.)(?!@$)[^\s~^:?*[\\\x00-\x1f\x7f]{1,200}(?<!\.lock)(?<![./])$/;

export function checkBranchName(name: string, what = "branch"): string {
  if (!BRANCH_NAME.test(name)) {
    throw new CoreError("VALIDATION", `invalid ${what} name "${printable(name)}"`, { reason: "bad_name" });
  }
  return name;
}

/**
 * A path relative to a checkout (for `workspace.copy`): not absolute, no `..` or `.git` component, no NUL.
 * Returns it normalised.
 */
export function checkRelativePath(p: string): string {
  const n = normalize(p).replace(/\/+$/, "");
  const parts = n.split("/");
  if (
    p.length === 0 ||
    p.length > 4096 ||
    p.includes("\0") ||
    isAbsolute(p) ||
    n === "." ||
    parts.some((s) => s === ".." || s === ".git")
  ) {
    throw new CoreError(
      "VALIDATION",
      `invalid path "${printable(p)}": give a path inside the repository, relative, without ".." or ".git"`,
      { reason: "bad_path" },
    );
  }
  return n;
}

/** A remote: a remote's name or a URL/path; never an option, never whitespace or control characters. */
export function checkRemote(remote: string): string {
  if (!/^(?!-)[^\s\x00-\x1f\x7f]{1,2048}$/.test(remote) || /^ext::/i.test(remote)) {
    throw new CoreError("VALIDATION", `invalid remote "${printable(remote)}": give a remote's name or a URL`, {
      reason: "bad_name",
    });
  }
  return remote;
}

/** A full object name as git prints it (SHA-1 or SHA-256). */
export function checkObjectId(oid: string, what = "commit"): string {
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(oid)) {
    throw new CoreError("VALIDATION", `invalid ${what} id "${printable(oid)}"`, { reason: "bad_name" });
  }
  return oid;
}

/** Shows a hostile name in an error without its control characters or its full length. */
function printable(s: string): string {
  const t = s.replace(/[\x00-\x1f\x7f]/g, "?");
  return t.length > 80 ? `${t.slice(0, 80)}…` : t;
}
