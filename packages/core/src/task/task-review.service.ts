/**
 * Review transitions of a task's changes (see review.ts): each is one `changeTask` — state and review checked,
 * the version bumped, the task's hash, its changes key, the town event and the task's history written in one
 * atomic step, attributed to `by`. The git work (capture, dry-run merge, merge, removal) is done by a runner
 * with the workspace module; these record what it did and what people decided.
 */
import { CoreError } from "../errors";
import { enqueueRun } from "../dispatch/dispatch";
import { enqueueWorkspaceJob } from "../dispatch/workspace-queue";
import type { Town } from "../town/town";
import {
  ApproveTaskInput,
  RecordChangesInput,
  RecordMergeCheckInput,
  RecordMergeInput,
  REVIEW_TRANSITIONS,
  RequestChangesInput,
  reviewAfterRun,
  type ChangedFile,
  type ReviewComment,
  type ReviewTransition,
  type TaskChanges,
  type TaskReview,
  type TaskWorkspace,
} from "./review";
import { TASK_TRANSITIONS, TaskChangeInput, type Task } from "./task";
import { assignableAgent, changeTask, getTask, illegalTransition, parse, shortId } from "./task.service";

/** INVALID_STATE unless the task's review status allows `action`. */
function checkReview(t: Task, action: ReviewTransition): void {
  const allowed = REVIEW_TRANSITIONS[action] as readonly (string | null)[];
  const status = t.review?.status ?? null;
  if (allowed.includes(status)) return;
  const names = allowed.map((s) => s ?? "no review yet").join(" or ");
  throw new CoreError(
    "INVALID_STATE",
    `cannot ${action} task ${shortId(t.id)}: its review is ${status ?? "not started"} (${action} needs ${names})`,
    { state: t.state, version: t.version, review: status },
  );
}

const reviewEvent = (prev: Task, next: Task) => ({
  reviewFrom: prev.review?.status ?? null,
  review: next.review?.status ?? null,
});

function withReview(t: Task, patch: Partial<TaskReview>, by: string, now: number): TaskReview {
  const base: TaskReview = t.review ?? {
    status: "waiting",
    by,
    at: now,
    round: 0,
    conflict: null,
    mergeError: null,
    strategy: null,
    mergedCommit: null,
  };
  return { ...base, ...patch, by, at: now };
}

/**
 * Records what a run left on the task's branch (from `captureChanges`): the workspace facts in the task's
 * hash, the file list and the capped diff in its changes key. A completed task with changes then waits for
 * review; one without changes needs none. Legal while the run's task is running, completed, failed or cancelled.
 */
export async function recordChanges(town: Town, raw: RecordChangesInput): Promise<Task> {
  const input = parse(RecordChangesInput, raw, "changes");
  const c = input.changes;
  return changeTask(town, input.taskId, {
    action: "recordChanges",
    event: "task.changes_recorded",
    expectedVersion: input.expectedVersion,
    by: input.by,
    guard: (t) => {
      checkReview(t, "recordChanges");
      return null;
    },
    patch: (t, now) => {
      const workspace: TaskWorkspace = {
        branch: c.branch,
        worktree: c.worktree,
        base: c.base,
        baseHead: c.baseHead,
        mergeBase: c.mergeBase,
        head: c.head,
        stats: c.stats,
        diffTruncated: c.diffTruncated,
        filesTruncated: c.filesTruncated,
        attempt: t.attempts,
        capturedAt: now,
      };
      // While the task runs, its review stays as it is (a change request in progress); completion decides.
      const review =
        t.state === "completed"
          ? reviewAfterRun({ workspace, review: t.review }, now, input.by)
          : t.review && { ...t.review, conflict: null };
      return { workspace, review };
    },
    extraPlan: (prev) => ({
      expect: [],
      hset: [
        {
          key: town.keys.taskChanges(prev.id),
          fields: { files: JSON.stringify(c.files), diff: c.diff },
        },
      ],
    }),
    eventData: (prev, next) => ({ ...reviewEvent(prev, next), stats: next.workspace!.stats, head: c.head }),
  });
}

/**
 * A reviewer asks for changes: the task goes back to its agent (completed → assigned) for a new attempt on the
 * same branch, carrying the comments (stored with the diff; `formatChangeRequest` puts them in the prompt).
 * Refused when the agent cannot take work (stopped, error, draining).
 */
export async function requestChanges(town: Town, raw: RequestChangesInput): Promise<Task> {
  const input = parse(RequestChangesInput, raw, "change request");
  const at = Date.now();
  const comments: ReviewComment[] = input.comments.map((c) => ({
    file: c.file ?? null,
    line: c.line ?? null,
    text: c.text,
    by: input.by,
    at,
  }));
  const current = await getTask(town, input.taskId);
  if (!(TASK_TRANSITIONS.requestChanges as readonly string[]).includes(current.state))
    throw illegalTransition(current, "requestChanges");
  checkReview(current, "requestChanges");
  if (!current.assignedTo) {
    throw new CoreError("INVALID_STATE", `task ${shortId(current.id)} has no agent to send the changes to`, {
      state: current.state,
      version: current.version,
    });
  }
  await assignableAgent(town, current.assignedTo);
  return changeTask(town, input.taskId, {
    action: "requestChanges",
    event: "task.changes_requested",
    expectedVersion: input.expectedVersion,
    by: input.by,
    guard: (t) => {
      checkReview(t, "requestChanges");
      if (t.assignedTo !== current.assignedTo) {
        throw new CoreError("CONFLICT", `task ${shortId(t.id)} changed agent meanwhile: reload and try again`, {
          state: t.state,
          version: t.version,
        });
      }
      return null;
    },
    patch: (t, now) => ({
      state: "assigned",
      completedAt: null,
      result: null,
      error: null,
      review: withReview(
        t,
        { status: "changes_requested", round: (t.review?.round ?? 0) + 1, mergeError: null, strategy: null },
        input.by,
        now,
      ),
    }),
    extraPlan: (prev) => ({
      expect: [],
      hset: [{ key: town.keys.taskChanges(prev.id), fields: { comments: JSON.stringify(comments) } }],
    }),
    eventData: (prev, next) => ({ ...reviewEvent(prev, next), comments: comments.length }),
    after: async (_prev, next) => enqueueRun(town, next),
  });
}

/**
 * Approves a task's changes for merging (waiting → approved), optionally with a strategy for this merge, and
 * enqueues the merge on the town's workspace queue. A runner then merges (`mergeBranch`) and records the outcome with `recordMerge` or `recordMergeCheck`.
 */
export async function approveTask(town: Town, raw: ApproveTaskInput): Promise<Task> {
  const input = parse(ApproveTaskInput, raw, "approval");
  return changeTask(town, input.taskId, {
    action: "approve",
    event: "task.approved",
    expectedVersion: input.expectedVersion,
    by: input.by,
    guard: (t) => {
      checkReview(t, "approve");
      return null;
    },
    patch: (t, now) => ({
      review: withReview(t, { status: "approved", strategy: input.strategy ?? null, mergeError: null }, input.by, now),
    }),
    eventData: (prev, next) => ({ ...reviewEvent(prev, next), strategy: input.strategy ?? null }),
    after: async (_prev, next) => enqueueWorkspaceJob(town, next, "merge"),
  });
}

/**
 * Records a dry-run merge or a refused merge: conflicting files (or a refusal such as a dirty checkout of the
 * base) send an approved task back to waiting with the reason shown; a clean check clears them. Repeating
 * the same result changes nothing.
 */
export async function recordMergeCheck(town: Town, raw: RecordMergeCheckInput): Promise<Task> {
  const input = parse(RecordMergeCheckInput, raw, "merge check");
  const files = [...new Set(input.conflicts)].sort();
  const blocked = files.length > 0 || input.error !== undefined;
  return changeTask(town, input.taskId, {
    action: "recordMergeCheck",
    event: "task.merge_checked",
    expectedVersion: input.expectedVersion,
    by: input.by,
    guard: (t) => {
      checkReview(t, "recordMergeCheck");
      const r = t.review!;
      const same =
        (r.mergeError ?? undefined) === input.error &&
        (files.length === 0
          ? r.conflict === null
          : r.conflict?.baseHead === input.baseHead && r.conflict.files.join("\0") === files.join("\0"));
      // A blocked merge of an approved task is news even when the dry run had shown the same conflict.
      return same && !(blocked && r.status === "approved") ? t : null;
    },
    patch: (t, now) => ({
      review: withReview(
        t,
        {
          status: blocked ? "waiting" : t.review!.status,
          conflict: files.length > 0 ? { files, baseHead: input.baseHead, checkedAt: now } : null,
          mergeError: input.error ?? null,
        },
        input.by,
        now,
      ),
    }),
    eventData: (prev, next) => ({ ...reviewEvent(prev, next), conflicts: files.slice(0, 50), error: input.error }),
  });
}

/** Records a done merge (approved → merged) with the commit it made; repeating it with that commit is a no-op. */
export async function recordMerge(town: Town, raw: RecordMergeInput): Promise<Task> {
  const input = parse(RecordMergeInput, raw, "merge");
  return changeTask(town, input.taskId, {
    action: "recordMerge",
    event: "task.merged",
    expectedVersion: input.expectedVersion,
    by: input.by,
    guard: (t) => {
      if (t.review?.status === "merged" && t.review.mergedCommit === input.commit) return t;
      checkReview(t, "recordMerge");
      return null;
    },
    patch: (t, now) => ({
      review: withReview(
        t,
        { status: "merged", mergedCommit: input.commit, strategy: input.strategy, conflict: null, mergeError: null },
        input.by,
        now,
      ),
    }),
    eventData: (prev, next) => ({ ...reviewEvent(prev, next), commit: input.commit, strategy: input.strategy }),
  });
}

/**
 * Drops a task's changes: its review becomes discarded, and a job on the workspace queue has a runner remove the
 * worktree and the branch.
 * Legal for a completed task waiting for review, and for a failed or cancelled one; a repeat is a no-op. Not
 * while approved: the merge may be under way, and only its outcome (merged, or back to waiting) ends it.
 */
export async function discardTask(town: Town, raw: TaskChangeInput): Promise<Task> {
  const input = parse(TaskChangeInput, raw, "discard");
  return changeTask(town, input.taskId, {
    action: "discard",
    event: "task.discarded",
    expectedVersion: input.expectedVersion,
    by: input.by,
    guard: (t) => {
      if (t.review?.status === "discarded") return t;
      checkReview(t, "discard");
      if (!t.workspace && !t.review) {
        throw new CoreError(
          "INVALID_STATE",
          `task ${shortId(t.id)} has no changes to discard (it never ran in a worktree)`,
          {
            state: t.state,
            version: t.version,
            review: null,
          },
        );
      }
      return null;
    },
    patch: (t, now) => ({ review: withReview(t, { status: "discarded" }, input.by, now) }),
    eventData: reviewEvent,
    after: async (_prev, next) => enqueueWorkspaceJob(town, next, "discard"),
  });
}

/** A task's recorded changes: workspace facts and review (from the task), the file list, the diff, the comments. */
export async function getTaskChanges(town: Town, ref: string): Promise<TaskChanges> {
  const t = await getTask(town, ref);
  const h = await town.redis.hgetall(town.keys.taskChanges(t.id));
  return {
    workspace: t.workspace,
    review: t.review,
    files: h.files ? (JSON.parse(h.files) as ChangedFile[]) : [],
    diff: h.diff ?? "",
    comments: h.comments ? (JSON.parse(h.comments) as ReviewComment[]) : [],
  };
}
