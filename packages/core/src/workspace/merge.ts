/**
 * Merging a task branch into the base. The merge is computed without touching any checkout
 * (`git merge-tree --write-tree`, then `commit-tree`), so a conflict leaves nothing behind. The base then moves in
 * one step: `update-ref` with the old value (compare-and-swap) when no checkout has it, or `merge --ff-only` to
 * the new commit in the checkout that has it — only when that checkout is clean.
 */
import { CoreError } from "../errors";
import type { MergeStrategy } from "../task/review";
import { authorEnv, committerEnv, firstLine, identity } from "./identity";
import { git, gitText, splitZ, stderrTail } from "./git";
import { checkObjectId, checkTaskBranch, checkTaskId } from "./names";
import { baseHead, isAncestor, listWorktrees, operationInProgress, resolveRef, type Workspace } from "./repo";

export interface MergeCheck {
  /** The branch merges into the base without conflicts. */
  clean: boolean;
  /** Files that conflict (empty when clean). */
  conflicts: string[];
  baseHead: string;
  branchHead: string;
  /** Everything on the branch is already in the base. */
  alreadyMerged: boolean;
  /** The tree the merge would produce (written to the object store, referenced by nothing). */
  tree: string;
}

async function branchHead(ws: Workspace, branch: string): Promise<string> {
  const oid = await resolveRef(ws.repo, `refs/heads/${checkTaskBranch(branch)}`);
  if (!oid)
    throw new CoreError("NOT_FOUND", `the task branch ${branch} is not in ${ws.repo}`, { reason: "branch_missing" });
  return oid;
}

async function dryRun(ws: Workspace, base: string, head: string): Promise<{ tree: string; conflicts: string[] }> {
  const r = await git(["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", base, head], {
    cwd: ws.repo,
    okCodes: [1],
  });
  const [tree, ...files] = splitZ(r.stdout);
  return { tree: tree!, conflicts: r.code === 1 ? [...new Set(files.filter(Boolean))].sort() : [] };
}

/** The dry-run merge of a task branch into the base: does it merge cleanly, and which files conflict. */
export async function checkMerge(ws: Workspace, input: { branch: string }): Promise<MergeCheck> {
  const [base, head] = await Promise.all([baseHead(ws), branchHead(ws, input.branch)]);
  const { tree, conflicts } = await dryRun(ws, base, head);
  return {
    clean: conflicts.length === 0,
    conflicts,
    baseHead: base,
    branchHead: head,
    alreadyMerged: await isAncestor(ws.repo, head, base),
    tree,
  };
}

export interface MergeInput {
  branch: string;
  taskId: string;
  /** The task's text: the first line titles the commit. */
  title: string;
  /** The agent: author of a squashed commit. */
  agent: string;
  /** Who asked for the merge: author of a merge commit, committer of both. */
  by: string;
  /** Default: the town's `workspace.merge`. */
  strategy?: MergeStrategy;
  /**
   * The base commit the caller approved against: the merge is refused (CONFLICT) if the base is elsewhere by
   * the time it moves. Without it, a base that moves meanwhile is re-read and the merge computed again.
   */
  expectedBaseHead?: string;
}

export interface MergeResult {
  /** `merged`: the base moved to `commit`; `already_merged`: the base already had everything (nothing moved). */
  status: "merged" | "already_merged";
  commit: string;
  baseBefore: string;
  strategy: MergeStrategy;
  /** The checkout of the base that was updated with it, if any. */
  checkout: string | null;
}

const MAX_ATTEMPTS = 5;

/**
 * Merges a task branch into the base branch with a merge commit or one squashed commit. Refuses with
 * CONFLICT (`details.conflicts`) when files conflict, with CONFLICT when the base moved from `expectedBaseHead`,
 * and with INVALID_STATE when the base is checked out in a worktree with uncommitted changes. A refusal
 * leaves the base, every checkout and the branch as they were.
 */
export async function mergeBranch(ws: Workspace, input: MergeInput): Promise<MergeResult> {
  const branch = checkTaskBranch(input.branch);
  const taskId = checkTaskId(input.taskId);
  const strategy = input.strategy ?? ws.config.merge;
  if (input.expectedBaseHead) checkObjectId(input.expectedBaseHead, "base commit");
  for (let attempt = 1; ; attempt++) {
    const head = await branchHead(ws, branch);
    const base = input.expectedBaseHead ?? (await baseHead(ws));
    const { tree, conflicts } = await dryRun(ws, base, head);
    if (conflicts.length > 0) {
      throw new CoreError(
        "CONFLICT",
        `${branch} conflicts with ${ws.base} in ${conflicts.length} file(s): ${conflicts.slice(0, 20).join(", ")}${conflicts.length > 20 ? ", …" : ""}. Ask the agent to bring in ${ws.base} and resolve them, then merge again`,
        { reason: "conflict", conflicts, baseHead: base, branchHead: head },
      );
    }
    const baseTree = await gitText(["rev-parse", "--verify", `${base}^{tree}`], { cwd: ws.repo });
    if (tree === baseTree || (await isAncestor(ws.repo, head, base))) {
      return { status: "already_merged", commit: base, baseBefore: base, strategy, checkout: null };
    }
    const commit = await commitMerge(ws, { ...input, branch, taskId, strategy, tree, base, head });
    const checkout = (await listWorktrees(ws)).find((w) => w.branch === ws.base && !w.bare);
    const moved = checkout
      ? await advanceCheckout(ws, checkout.path, base, commit)
      : await advanceRef(ws, base, commit);
    if (moved) return { status: "merged", commit, baseBefore: base, strategy, checkout: checkout?.path ?? null };
    if (input.expectedBaseHead || attempt >= MAX_ATTEMPTS) {
      const now = await resolveRef(ws.repo, `refs/heads/${ws.base}`);
      throw new CoreError(
        "CONFLICT",
        `${ws.base} moved during the merge (it is now at ${now?.slice(0, 12) ?? "nothing"}, expected ${base.slice(0, 12)}): nothing was merged; check again and merge`,
        { reason: "base_moved", baseHead: now, expected: base },
      );
    }
  }
}

async function commitMerge(
  ws: Workspace,
  m: MergeInput & { strategy: MergeStrategy; tree: string; base: string; head: string },
): Promise<string> {
  const domain = ws.config.authorEmailDomain;
  const merger = identity(m.by, domain);
  const title = firstLine(m.title, 72) || `task ${m.taskId.slice(0, 8)}`;
  const trailers = `Tinytown-Task: ${m.taskId}\nTinytown-Merged-By: ${merger.name}\n`;
  let message: string;
  let parents: string[];
  let author = merger;
  if (m.strategy === "squash") {
    const subjects = (await gitText(["log", "--format=%s", "--max-count=50", `${m.base}..${m.head}`], { cwd: ws.repo }))
      .split("\n")
      .filter(Boolean)
      .reverse();
    message = `${title}\n\nSquashed from ${m.branch}:\n${subjects.map((s) => `* ${s}`).join("\n")}\n\n${trailers}`;
    parents = [m.base];
    author = identity(m.agent, domain);
  } else {
    message = `Merge ${m.branch}: ${title}\n\n${trailers}`;
    parents = [m.base, m.head];
  }
  return gitText(["commit-tree", m.tree, ...parents.flatMap((p) => ["-p", p]), "-F", "-"], {
    cwd: ws.repo,
    input: message,
    env: { ...authorEnv(author), ...committerEnv(merger) },
  });
}

/** Moves the base ref from `from` to `to` only if it is still at `from`; false when it moved. */
async function advanceRef(ws: Workspace, from: string, to: string): Promise<boolean> {
  const r = await git(["update-ref", "-m", `tinytown: merge into ${ws.base}`, `refs/heads/${ws.base}`, to, from], {
    cwd: ws.repo,
    okCodes: [128],
  });
  return r.code === 0;
}

/**
 * The base is checked out (typically the user's own checkout): refuse if it has uncommitted changes or an
 * operation in progress; else fast-forward it to the merge commit, which moves branch, index and files together
 * and refuses rather than overwrite an untracked file. False when its HEAD is no longer at `from`.
 */
async function advanceCheckout(ws: Workspace, checkout: string, from: string, to: string): Promise<boolean> {
  const status = splitZ(
    (
      await git(["status", "--porcelain=v1", "-z", "--untracked-files=no", "--ignore-submodules=none"], {
        cwd: checkout,
      })
    ).stdout,
  );
  const busy = await operationInProgress(checkout);
  if (status.length > 0 || busy) {
    const files = status.filter((s) => /^[ MADRCUT?!]{2} /.test(s)).map((s) => s.slice(3));
    throw new CoreError(
      "INVALID_STATE",
      `${ws.base} is checked out in ${checkout}, which ${busy ? `has a ${busy} in progress` : `has uncommitted changes (${files.slice(0, 5).join(", ")}${files.length > 5 ? ", …" : ""})`}: commit or stash them there, or check out another branch there, then merge again. Nothing was merged.`,
      { reason: "dirty_checkout", checkout, files },
    );
  }
  const head = await resolveRef(checkout, "HEAD");
  if (head !== from) return false;
  const r = await git(["merge", "--ff-only", "--quiet", "--no-stat", to], { cwd: checkout, okCodes: [1, 128] });
  if (r.code === 0) return true;
  if ((await resolveRef(checkout, "HEAD")) !== from) return false;
  throw new CoreError(
    "INVALID_STATE",
    `${ws.base} is checked out in ${checkout} and git refused to update it: ${stderrTail(r.stderr)}. Nothing was merged.`,
    { reason: "checkout_refused", checkout },
  );
}
