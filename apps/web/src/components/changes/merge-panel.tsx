"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import type { RouterOutputs } from "@tinytown/api";
import { MergeStrategy, type TaskReview, type TaskWorkspace } from "@tinytown/core/schema";

import { apiFailure } from "../../lib/errors";
import { useTRPC } from "../../trpc/react";
import { Dialog } from "../ui/dialog";
import { RelativeTime } from "../ui/time";
import { useToast } from "../ui/toast";

type Task = RouterOutputs["task"]["get"]["task"];

/**
 * Where the review stands and what can be done next: the last dry-run merge (conflicting files named, with
 * "ask the agent to rebase"), Merge with the strategy, Discard after a confirmation. The merge itself is a
 * runner's: pressing Merge records the approval, and the outcome arrives live.
 */
export function MergePanel(props: {
  task: Task;
  workspace: TaskWorkspace;
  review: TaskReview | null;
  allowed: boolean;
}) {
  const { task, workspace, review, allowed } = props;
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const [strategy, setStrategy] = useState<MergeStrategy>("merge");
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const opts = {
    onSuccess: () => void qc.invalidateQueries(trpc.task.pathFilter()),
    onError: (err: unknown) => toast.show("error", "Refused", apiFailure(err).message),
  };
  const merge = useMutation(trpc.review.merge.mutationOptions(opts));
  const rebase = useMutation(trpc.review.requestRebase.mutationOptions(opts));
  const discard = useMutation(
    trpc.review.discard.mutationOptions({ ...opts, onSettled: () => setConfirmDiscard(false) }),
  );
  const change = { taskId: task.id, expectedVersion: task.version };
  const status = review?.status ?? null;
  const conflicts = review?.conflict?.files ?? [];
  const discardable =
    status === "waiting" ||
    ((task.state === "failed" || task.state === "cancelled") && status !== "merged" && status !== "discarded");

  return (
    <section
      className="panel grid gap-3 p-3"
      aria-label="Merge"
      data-testid="merge-panel"
      data-status={status ?? "none"}
    >
      <p className="text-sm" data-testid="review-status">
        <ReviewSummary task={task} workspace={workspace} review={review} />
      </p>

      {status === "waiting" || status === "approved" ? (
        conflicts.length > 0 ? (
          <div
            role="alert"
            data-testid="merge-conflict"
            className="grid gap-2 rounded-md border border-red-300 bg-red-50 p-3 text-sm dark:border-red-900 dark:bg-red-950/40"
          >
            <p className="font-medium text-red-900 dark:text-red-100">
              The dry-run merge into {workspace.base} conflicts in {conflicts.length} file
              {conflicts.length === 1 ? "" : "s"}:
            </p>
            <ul className="grid gap-0.5 font-mono text-xs">
              {conflicts.map((f) => (
                <li key={f} data-testid="conflict-file">
                  {f}
                </li>
              ))}
            </ul>
            {allowed && status === "waiting" ? (
              <button
                type="button"
                className="btn btn-sm w-fit"
                data-testid="ask-rebase"
                disabled={rebase.isPending}
                onClick={() => rebase.mutate(change)}
              >
                Ask the agent to rebase
              </button>
            ) : null}
          </div>
        ) : (
          <p className="text-sm text-emerald-800 dark:text-emerald-300" data-testid="merge-clean">
            ✓ No conflict with {workspace.base} found
            {review?.conflict === null && review.mergeError === null ? " at the last check" : ""}; the runner checks
            again as it merges.
          </p>
        )
      ) : null}
      {review?.mergeError ? (
        <p role="alert" className="text-sm text-amber-800 dark:text-amber-300" data-testid="merge-error">
          The last merge was refused: {review.mergeError}
        </p>
      ) : null}

      {allowed && (status === "waiting" || discardable) ? (
        <div className="flex flex-wrap items-center gap-2">
          {status === "waiting" ? (
            <>
              <label className="sr-only" htmlFor="merge-strategy">
                Merge strategy
              </label>
              <select
                id="merge-strategy"
                className="input h-7 w-auto py-0 text-xs"
                value={strategy}
                onChange={(e) => setStrategy(MergeStrategy.parse(e.target.value))}
                data-testid="merge-strategy"
              >
                <option value="merge">Merge commit</option>
                <option value="squash">Squash into one commit</option>
              </select>
              <button
                type="button"
                className="btn btn-sm btn-primary"
                data-testid="merge"
                disabled={merge.isPending || conflicts.length > 0}
                title={conflicts.length > 0 ? "Resolve the conflicts first (ask the agent to rebase)" : undefined}
                onClick={() => merge.mutate({ ...change, strategy })}
              >
                Merge into {workspace.base}
              </button>
            </>
          ) : null}
          {discardable ? (
            <button type="button" className="btn btn-sm" data-testid="discard" onClick={() => setConfirmDiscard(true)}>
              Discard…
            </button>
          ) : null}
        </div>
      ) : null}

      <Dialog
        open={confirmDiscard}
        onClose={() => setConfirmDiscard(false)}
        title="Discard these changes?"
        description={`The branch ${workspace.branch} and its worktree are removed; the work cannot be merged afterwards.`}
        testId="discard-dialog"
      >
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={() => setConfirmDiscard(false)}>
            Keep them
          </button>
          <button
            type="button"
            className="btn btn-danger"
            data-testid="discard-confirm"
            disabled={discard.isPending}
            onClick={() => discard.mutate(change)}
          >
            Discard changes
          </button>
        </div>
      </Dialog>
    </section>
  );
}

function ReviewSummary(props: { task: Task; workspace: TaskWorkspace; review: TaskReview | null }) {
  const { review, workspace, task } = props;
  const who = review ? (
    <>
      {" "}
      — {review.by}, <RelativeTime at={review.at} />
    </>
  ) : null;
  switch (review?.status ?? null) {
    case "waiting":
      return <>Waiting for review{review!.round > 0 ? ` (round ${review!.round + 1})` : ""}.</>;
    case "changes_requested":
      return (
        <>
          Changes requested{who}. The agent continues on {workspace.branch}
          {task.state === "running" ? " now" : " when it runs next"}.
        </>
      );
    case "approved":
      return (
        <>
          Approved for merging ({review!.strategy ?? "the town's default strategy"}){who}: a runner is merging into{" "}
          {workspace.base}.
        </>
      );
    case "merged":
      return (
        <>
          Merged into {workspace.base}
          {review!.mergedCommit ? <span className="font-mono"> as {review!.mergedCommit.slice(0, 10)}</span> : null}
          {who}.
        </>
      );
    case "discarded":
      return <>Discarded{who}.</>;
    default:
      return task.state === "running" || task.state === "assigned" ? (
        <>The agent is working on these changes.</>
      ) : (
        <>Not waiting for review.</>
      );
  }
}
