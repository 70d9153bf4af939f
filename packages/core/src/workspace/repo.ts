/**
 * The repository of a town and its base branch, resolved once into a `Workspace` handle that every other
 * workspace function takes first; plus the small git queries they share (refs, ancestry, the worktree list).
 */
import { existsSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { CoreError } from "../errors";
import type { TownConfig } from "../town/config";
import { STATE_DIR } from "../town/config";
import { checkBranchName } from "./names";
import { checkGitVersion, git, gitText, splitZ } from "./git";
import type { WorkspaceConfig } from "./workspace-config";

/** A town's git workspace: where its repository is, which branch tasks start from, where worktrees go. */
export interface Workspace {
  /** The repository's top-level directory (the checkout files are copied from). */
  readonly repo: string;
  /** The branch task branches start from and merge into. */
  readonly base: string;
  /** `<town dir>/.tt/worktrees`: one directory per task. */
  readonly worktreesDir: string;
  readonly config: WorkspaceConfig;
}

/**
 * Where a directory's repository is: its top level; null when the directory (or, when it does not exist yet,
 * its nearest existing parent) is in no git repository.
 */
export async function findRepository(dir: string): Promise<string | null> {
  let cwd = resolve(dir);
  while (!existsSync(cwd) && dirname(cwd) !== cwd) cwd = dirname(cwd);
  const r = await git(["rev-parse", "--path-format=absolute", "--show-toplevel"], { cwd, okCodes: [128] });
  if (r.code !== 0) return null;
  const top = r.stdout.toString("utf8").trim();
  return top || null;
}

/** The branch checked out in a checkout; null when its HEAD is detached. */
export async function currentBranch(checkout: string): Promise<string | null> {
  const r = await git(["symbolic-ref", "--quiet", "--short", "HEAD"], { cwd: checkout, okCodes: [1] });
  return r.code === 0 ? r.stdout.toString("utf8").trim() : null;
}

/**
 * What `tt init` records as the town's base: the branch checked out in the repository the directory is in.
 * Null outside a git repository, with a detached HEAD, or when git is missing.
 */
export async function detectBaseBranch(dir: string): Promise<string | null> {
  try {
    const repo = await findRepository(dir);
    return repo ? await currentBranch(repo) : null;
  } catch {
    return null;
  }
}

/**
 * The workspace of a town, or null when tasks run as before (in the town's directory): the town has no
 * directory, `workspace.enabled` is false, or (unless it is true) the town is in no git repository.
 */
export async function resolveWorkspace(town: { dir: string | null; config: TownConfig }): Promise<Workspace | null> {
  const cfg = town.config.workspace;
  if (cfg.enabled === false || !town.dir) {
    if (cfg.enabled === true && !town.dir)
      throw new CoreError("VALIDATION", "workspace.enabled needs a town directory (tinytown.json) for its worktrees");
    return null;
  }
  const where = cfg.repo ? (isAbsolute(cfg.repo) ? cfg.repo : resolve(town.dir, cfg.repo)) : town.dir;
  let repo: string | null;
  try {
    repo = await findRepository(where);
  } catch (err) {
    if (cfg.enabled === undefined && !cfg.repo) return null; // no git: as before, unless asked for
    throw err;
  }
  if (!repo) {
    if (cfg.enabled === undefined && !cfg.repo) return null;
    throw new CoreError(
      "VALIDATION",
      `${where} is not in a git repository: run \`git init\` there, set workspace.repo, or set workspace.enabled to false`,
      { reason: "not_a_repository" },
    );
  }
  await checkGitVersion(repo);
  let base = cfg.base ?? null;
  if (base === null) {
    base = await currentBranch(repo);
    if (!base)
      throw new CoreError(
        "VALIDATION",
        `the repository ${repo} has a detached HEAD: set workspace.base in tinytown.json to the branch tasks start from`,
        { reason: "no_base" },
      );
  }
  checkBranchName(base, "base branch");
  const ok = await git(["check-ref-format", "--branch", base], { cwd: repo, okCodes: [1, 128] });
  if (ok.code !== 0) throw new CoreError("VALIDATION", `invalid base branch name "${base}"`, { reason: "bad_name" });
  if (!(await refExists(repo, `refs/heads/${base}`))) {
    throw new CoreError(
      "VALIDATION",
      `the base branch "${base}" does not exist in ${repo}: create it (an initial commit) or set workspace.base`,
      { reason: "no_base" },
    );
  }
  return { repo, base, worktreesDir: join(realpathSync(town.dir), STATE_DIR, "worktrees"), config: cfg };
}

/** The commit a ref points at; null when the ref does not exist. */
export async function resolveRef(cwd: string, ref: string): Promise<string | null> {
  const r = await git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], {
    cwd,
    okCodes: [1, 128],
  });
  return r.code === 0 ? r.stdout.toString("utf8").trim() : null;
}

export async function refExists(cwd: string, ref: string): Promise<boolean> {
  return (await resolveRef(cwd, ref)) !== null;
}

/** True when commit `a` is an ancestor of (or equal to) commit `b`. */
export async function isAncestor(cwd: string, a: string, b: string): Promise<boolean> {
  const r = await git(["merge-base", "--is-ancestor", a, b], { cwd, okCodes: [1] });
  return r.code === 0;
}

/** The commit a base branch points at (NOT_FOUND when it was deleted). */
export async function baseHead(ws: Workspace): Promise<string> {
  const oid = await resolveRef(ws.repo, `refs/heads/${ws.base}`);
  if (!oid) throw new CoreError("NOT_FOUND", `the base branch "${ws.base}" no longer exists in ${ws.repo}`);
  return oid;
}

export interface WorktreeEntry {
  path: string;
  head: string | null;
  /** Short branch name (`main`, `tt/a1/1234abcd`); null when detached or bare. */
  branch: string | null;
  bare: boolean;
  /** The lock reason (`""` when locked without one); null when not locked. */
  locked: string | null;
  prunable: boolean;
}

/** Every worktree of the repository (the main checkout first), from `git worktree list --porcelain -z`. */
export async function listWorktrees(ws: Pick<Workspace, "repo">): Promise<WorktreeEntry[]> {
  const fields = splitZ((await git(["worktree", "list", "--porcelain", "-z"], { cwd: ws.repo })).stdout);
  const out: WorktreeEntry[] = [];
  let cur: WorktreeEntry | null = null;
  for (const f of fields) {
    if (f === "") {
      if (cur) out.push(cur);
      cur = null;
      continue;
    }
    const sp = f.indexOf(" ");
    const [key, value] = sp < 0 ? [f, ""] : [f.slice(0, sp), f.slice(sp + 1)];
    if (key === "worktree") {
      if (cur) out.push(cur);
      cur = { path: value, head: null, branch: null, bare: false, locked: null, prunable: false };
    } else if (cur) {
      if (key === "HEAD") cur.head = value;
      else if (key === "branch") cur.branch = value.replace(/^refs\/heads\//, "");
      else if (key === "bare") cur.bare = true;
      else if (key === "locked") cur.locked = value;
      else if (key === "prunable") cur.prunable = true;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** Compares paths after resolving symlinks (a temp dir may be reached through one). */
export function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return resolve(a) === resolve(b) || real(a) === real(b);
}

const IN_PROGRESS: Record<string, string> = {
  MERGE_HEAD: "merge",
  CHERRY_PICK_HEAD: "cherry-pick",
  REVERT_HEAD: "revert",
  "rebase-merge": "rebase",
  "rebase-apply": "rebase",
};

/** The git operation left half done in a checkout (`merge`, `rebase`, …), or null. */
export async function operationInProgress(cwd: string): Promise<string | null> {
  const names = Object.keys(IN_PROGRESS);
  const paths = (await gitText(["rev-parse", ...names.flatMap((m) => ["--git-path", m])], { cwd })).split("\n");
  const i = names.findIndex((_, j) => paths[j] && existsSync(resolve(cwd, paths[j])));
  return i >= 0 ? IN_PROGRESS[names[i]!]! : null;
}
