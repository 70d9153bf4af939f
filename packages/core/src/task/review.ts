/**
 * The review of a task's changes (pure: the dashboard imports it from `@tinytown/core/schema`). A task that ran in
 * a git worktree records its branch and diff (`TaskWorkspace`); a completed task with changes carries a review
 * status without adding task states:
 *
 * ```
 * run ends, changes captured ──▶ waiting ──approve──▶ approved ──a runner merges──▶ merged
 *          ▲                      │   ▲                  │
 *          │                      │   └── conflict, or merge refused (reason shown) ◀┘
 *          │               request changes
 *          │                      ▼
 *          └── next run ◀── changes_requested (task completed → assigned: same agent, same branch)
 * waiting, or a failed/cancelled task (with or without review) ──discard──▶ discarded
 * ```
 * `approved` is left only by the runner's merge outcome, so a merge under way never races a change request
 * or a discard.
 */
import { z } from "zod";

import { Actor, TaskRef, Version } from "../refs";
import { utf8Length } from "../utf8";

export const REVIEW_STATUSES = ["waiting", "changes_requested", "approved", "merged", "discarded"] as const;
export const ReviewStatus = z.enum(REVIEW_STATUSES);
export type ReviewStatus = z.infer<typeof ReviewStatus>;

export const MergeStrategy = z.enum(["merge", "squash"]);
export type MergeStrategy = z.infer<typeof MergeStrategy>;

const Oid = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, "a full commit id");
/** A repository path as git prints it (relative, `/`-separated). */
const RepoPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.startsWith("/") && !p.includes("\0") && !p.split("/").includes(".."), "a path in the repository");

export const DiffStats = z.object({
  files: z.number().int().nonnegative(),
  additions: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
  /** Binary files among `files` (no line counts). */
  binary: z.number().int().nonnegative(),
});
export type DiffStats = z.infer<typeof DiffStats>;

export const FILE_STATUSES = ["added", "modified", "deleted", "renamed", "copied", "type_changed"] as const;
export const FileStatus = z.enum(FILE_STATUSES);
export type FileStatus = z.infer<typeof FileStatus>;

export const ChangedFile = z.object({
  path: z.string(),
  /** The path before a rename or copy. */
  oldPath: z.string().nullable(),
  status: FileStatus,
  /** Null for a binary file. */
  additions: z.number().int().nonnegative().nullable(),
  deletions: z.number().int().nonnegative().nullable(),
  binary: z.boolean(),
});
export type ChangedFile = z.infer<typeof ChangedFile>;

/** What is recorded with a task after each run in a worktree (small: it lives in the task's hash). */
export const TaskWorkspace = z.object({
  branch: z.string().min(1).max(256),
  /** The worktree's path on the runner that captured it. */
  worktree: z.string().min(1).max(4096),
  base: z.string().min(1).max(256),
  /** The base branch's commit at capture. */
  baseHead: Oid,
  mergeBase: Oid,
  head: Oid,
  stats: DiffStats,
  diffTruncated: z.boolean(),
  filesTruncated: z.boolean(),
  /** The task's attempt whose end was captured. */
  attempt: z.number().int().nonnegative(),
  capturedAt: z.number(),
});
export type TaskWorkspace = z.infer<typeof TaskWorkspace>;

export const MAX_REVIEW_COMMENTS = 50;
export const MAX_COMMENT_BYTES = 8 * 1024;

const CommentText = z
  .string()
  .trim()
  .min(1, "the comment is empty")
  .refine((s) => !s.includes("\u0000"), "the comment contains a NUL byte")
  .refine((s) => utf8Length(s) <= MAX_COMMENT_BYTES, `a comment is at most ${MAX_COMMENT_BYTES} bytes`);

/** A reviewer's comment as submitted: on a line of a file, on a file, or on the whole change. */
export const ReviewCommentInput = z
  .object({
    file: RepoPath.optional(),
    /** A line of the file's new version (1-based). */
    line: z.number().int().positive().max(10_000_000).optional(),
    text: CommentText,
  })
  .strict()
  .refine((c) => c.line === undefined || c.file !== undefined, "a comment on a line names its file");
export type ReviewCommentInput = z.input<typeof ReviewCommentInput>;

export const ReviewComment = z.object({
  file: z.string().nullable(),
  line: z.number().nullable(),
  text: z.string(),
  /** The principal who asked for the change. */
  by: z.string(),
  at: z.number(),
});
export type ReviewComment = z.infer<typeof ReviewComment>;

export const MergeConflict = z.object({
  /** Files both the base and the branch changed in ways git cannot combine. */
  files: z.array(z.string()),
  /** The base commit the check was made against. */
  baseHead: Oid,
  checkedAt: z.number(),
});
export type MergeConflict = z.infer<typeof MergeConflict>;

/** The review of a task's changes (in the task's hash; comments live with the diff). */
export const TaskReview = z.object({
  status: ReviewStatus,
  /** Who made the last review change, and when. */
  by: z.string(),
  at: z.number(),
  /** How many times changes were requested. */
  round: z.number().int().nonnegative(),
  /** The last dry-run merge found conflicts (null: none found, or not checked since the last run). */
  conflict: MergeConflict.nullable(),
  /** Why the last merge was refused other than by a conflict (e.g. the base's checkout has uncommitted changes). */
  mergeError: z.string().nullable(),
  /** The strategy asked for at approval; null: the town's `workspace.merge`. */
  strategy: MergeStrategy.nullable(),
  /** The commit the merge made on the base branch. */
  mergedCommit: z.string().nullable(),
});
export type TaskReview = z.infer<typeof TaskReview>;

/** Legal review statuses (null: no review yet) of each review action; task states are in TASK_TRANSITIONS. */
export const REVIEW_TRANSITIONS = {
  recordChanges: [null, "waiting", "changes_requested"],
  requestChanges: ["waiting"],
  approve: ["waiting"],
  recordMergeCheck: ["waiting", "approved"],
  recordMerge: ["approved"],
  discard: [null, "waiting", "changes_requested"],
} as const satisfies Record<string, readonly (ReviewStatus | null)[]>;
export type ReviewTransition = keyof typeof REVIEW_TRANSITIONS;

const Change = {
  taskId: TaskRef,
  expectedVersion: Version.optional(),
  by: Actor,
};

export const RequestChangesInput = z.object({
  ...Change,
  comments: z.array(ReviewCommentInput).min(1, "say what to change").max(MAX_REVIEW_COMMENTS),
});
export type RequestChangesInput = z.input<typeof RequestChangesInput>;

export const ApproveTaskInput = z.object({ ...Change, strategy: MergeStrategy.optional() });
export type ApproveTaskInput = z.input<typeof ApproveTaskInput>;

export const RecordMergeCheckInput = z.object({
  ...Change,
  baseHead: Oid,
  /** Conflicting files; empty when the dry run merged cleanly. */
  conflicts: z.array(z.string().max(4096)).max(10_000),
  /** A merge refused for another reason (the base's checkout is dirty…). */
  error: z.string().min(1).max(4096).optional(),
});
export type RecordMergeCheckInput = z.input<typeof RecordMergeCheckInput>;

export const RecordMergeInput = z.object({ ...Change, commit: Oid, strategy: MergeStrategy });
export type RecordMergeInput = z.input<typeof RecordMergeInput>;

/** A task's changes as captured after a run (what `captureChanges` returns). */
export const RecordChangesInput = z.object({
  ...Change,
  changes: z.object({
    branch: z.string().min(1).max(256),
    worktree: z.string().min(1).max(4096),
    base: z.string().min(1).max(256),
    baseHead: Oid,
    mergeBase: Oid,
    head: Oid,
    stats: DiffStats,
    files: z.array(ChangedFile).max(100_000),
    filesTruncated: z.boolean(),
    /** At most `workspace.diffMaxBytes` (≤ 8 MiB) of UTF-8. */
    diff: z.string().max(8 * 1024 * 1024),
    diffTruncated: z.boolean(),
  }),
});
export type RecordChangesInput = z.input<typeof RecordChangesInput>;

/** A task's diff, file list and the reviewers' latest comments (kept beside the task, not in its hash). */
export interface TaskChanges {
  workspace: TaskWorkspace | null;
  review: TaskReview | null;
  files: ChangedFile[];
  diff: string;
  comments: ReviewComment[];
}

/**
 * The review a task gets when its run's changes are known: `waiting` when the branch differs from its merge
 * base, none when it does not. A merged or discarded review never changes.
 */
export function reviewAfterRun(
  t: { workspace: TaskWorkspace | null; review: TaskReview | null },
  now: number,
  by: string,
): TaskReview | null {
  const r = t.review;
  if (r && (r.status === "merged" || r.status === "discarded")) return r;
  if (!t.workspace || t.workspace.stats.files === 0) return null;
  return {
    status: "waiting",
    by,
    at: now,
    round: r?.round ?? 0,
    conflict: null,
    mergeError: null,
    strategy: null,
    mergedCommit: null,
  };
}

/**
 * Whether a task still needs its worktree and branch (for `pruneWorktrees`): not once merged or discarded,
 * nor when it completed with nothing to review; yes while it is queued or running, waiting for review,
 * failed or cancelled (a retry continues the work), or completed before its changes were captured.
 */
export function workspaceNeeded(
  t: { state: string; workspace: TaskWorkspace | null; review: TaskReview | null } | null,
): boolean {
  if (!t) return false;
  if (t.review?.status === "merged" || t.review?.status === "discarded") return false;
  if (t.state !== "completed") return true;
  return t.workspace === null || t.workspace.stats.files > 0;
}

/** The part of the next prompt that carries a change request: the comments, who made them, and any conflict. */
export function formatChangeRequest(input: {
  branch: string | null;
  base: string | null;
  round: number;
  comments: readonly ReviewComment[];
  conflict: MergeConflict | null;
}): string {
  const lines = [
    `## Changes requested (review round ${input.round})`,
    `Reviewers looked at your work${input.branch ? ` on branch ${input.branch}` : ""} and asked for changes. Your earlier commits are in this worktree; continue from them.`,
  ];
  for (const c of input.comments) {
    const where = c.file ? ` on ${c.file}${c.line ? ` line ${c.line}` : ""}` : "";
    lines.push(`- ${c.by}${where}:`, ...c.text.split("\n").map((l) => `  ${l}`));
  }
  if (input.conflict && input.conflict.files.length > 0) {
    lines.push(
      `The base branch${input.base ? ` ${input.base}` : ""} has changes that conflict with yours in: ${input.conflict.files.join(", ")}. Bring them in (git merge or rebase onto ${input.base ?? "the base"}) and resolve the conflicts.`,
    );
  }
  return lines.join("\n");
}
