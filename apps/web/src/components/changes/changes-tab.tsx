"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";

import type { RouterOutputs } from "@tinytown/api";

import { apiFailure } from "../../lib/errors";
import { fileDiffs } from "../../lib/file-diffs";
import { useTRPC } from "../../trpc/react";
import { useShell } from "../app-shell";
import { useLive, useTownEvents } from "../live";
import { useToast } from "../ui/toast";
import { FileDiff, draftToComment, type DraftComment } from "./file-diff";
import { FileList } from "./file-list";
import { MergePanel } from "./merge-panel";

type Task = RouterOutputs["task"]["get"]["task"];

/**
 * The task page's Changes: what the agent's branch changed (files, diff), the review's comments, and the review
 * decisions — request changes (with comments on lines), merge (after the recorded dry run), discard. Live: any
 * event of this task refetches it, so a decision made in another browser shows without a reload.
 */
export function ChangesTab(props: { task: Task }) {
  const { task } = props;
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const may = useShell().may("task.write");
  const { canChange } = useLive();
  const changesKey = trpc.task.changes.queryKey({ taskId: task.id });
  const q = useQuery(trpc.task.changes.queryOptions({ taskId: task.id }));
  useTownEvents((e) => {
    if (e.taskId === task.id) void qc.invalidateQueries({ queryKey: changesKey });
  });

  const [mode, setMode] = useState<"unified" | "split">("unified");
  const [drafts, setDrafts] = useState<DraftComment[]>([]);
  const [summary, setSummary] = useState("");
  const after = {
    onSuccess: () => {
      void qc.invalidateQueries(trpc.task.pathFilter());
    },
    onError: (err: unknown) => toast.show("error", "Refused", apiFailure(err).message),
  };
  const request = useMutation(
    trpc.review.requestChanges.mutationOptions({
      ...after,
      onSuccess: () => {
        setDrafts([]);
        setSummary("");
        after.onSuccess();
      },
    }),
  );

  const diffs = useMemo(
    () =>
      q.data
        ? fileDiffs(
            q.data.diff,
            q.data.files.map((f) => f.path),
          )
        : [],
    [q.data],
  );

  if (q.isPending) return <p className="text-sm text-zinc-600 dark:text-zinc-400">Loading the changes…</p>;
  if (q.isError) return <p role="alert">{apiFailure(q.error).message}</p>;
  const { workspace, review, files, comments } = q.data;
  if (!workspace) {
    return (
      <p className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="changes-empty">
        No changes recorded yet: they appear here when a run in a worktree ends.
      </p>
    );
  }
  const waiting = review?.status === "waiting";
  const canReview = may && canChange && waiting;
  const generalComments = comments.filter((c) => !c.line);
  const commentCount = drafts.length + (summary.trim() ? 1 : 0);

  return (
    <div className="grid gap-4" data-testid="changes-tab" data-review={review?.status ?? "none"}>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm">
        <span className="font-mono text-xs break-all text-zinc-600 dark:text-zinc-400">
          {workspace.branch} → {workspace.base}
        </span>
        <span className="tabular-nums" data-testid="changes-stats">
          <span className="text-emerald-700 dark:text-emerald-400">+{workspace.stats.additions}</span>{" "}
          <span className="text-red-700 dark:text-red-400">−{workspace.stats.deletions}</span> · {workspace.stats.files}{" "}
          file{workspace.stats.files === 1 ? "" : "s"}
        </span>
        {workspace.diffTruncated ? (
          <span className="badge bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200">
            diff cut at the size limit: `tt task diff` shows all of it
          </span>
        ) : null}
        <div className="ml-auto flex rounded-md border border-zinc-200 p-0.5 dark:border-zinc-700" role="group">
          {(["unified", "split"] as const).map((m) => (
            <button
              key={m}
              type="button"
              aria-pressed={mode === m}
              onClick={() => setMode(m)}
              className={`rounded px-2 py-0.5 text-xs font-medium capitalize ${mode === m ? "bg-zinc-200 dark:bg-zinc-700" : "text-zinc-600 dark:text-zinc-400"}`}
            >
              {m}
            </button>
          ))}
        </div>
      </div>

      <MergePanel task={task} workspace={workspace} review={review} allowed={may && canChange} />

      {generalComments.length > 0 ? (
        <section className="panel grid gap-2 p-3" aria-label="Review comments">
          <h3 className="panel-title">Comments of the last change request</h3>
          {generalComments.map((c, i) => (
            <p key={i} className="text-sm break-words whitespace-pre-wrap" data-testid="general-comment">
              <span className="font-medium">{c.by}</span>
              {c.file ? <span className="font-mono text-xs"> on {c.file}</span> : null}: {c.text}
            </p>
          ))}
        </section>
      ) : null}

      <div className="grid grid-cols-[minmax(0,1fr)] gap-4 xl:grid-cols-[16rem_minmax(0,1fr)]">
        <FileList files={files} truncated={workspace.filesTruncated} />
        <div className="grid min-w-0 gap-3">
          {diffs.map((d) => (
            <section
              key={d.path}
              id={`file-${encodeURIComponent(d.path)}`}
              className="panel min-w-0 overflow-hidden"
              aria-label={d.path}
            >
              <h3 className="truncate border-b border-zinc-200 px-3 py-1.5 font-mono text-xs dark:border-zinc-800">
                {d.path}
              </h3>
              <FileDiff
                path={d.path}
                text={d.text}
                mode={mode}
                comments={comments}
                drafts={drafts}
                onDraft={canReview ? (dr) => setDrafts((xs) => [...xs, dr]) : undefined}
                onRemoveDraft={(i) => setDrafts((xs) => xs.filter((_, j) => j !== i))}
              />
            </section>
          ))}
          {diffs.length === 0 && files.length > 0 ? (
            <p className="text-sm text-zinc-600 dark:text-zinc-400">Binary or renamed files only: no text to show.</p>
          ) : null}
        </div>
      </div>

      {canReview ? (
        <form
          className="panel grid gap-2 p-3"
          data-testid="request-changes"
          onSubmit={(e) => {
            e.preventDefault();
            const list = [...drafts.map(draftToComment), ...(summary.trim() ? [{ text: summary.trim() }] : [])];
            if (list.length > 0) request.mutate({ taskId: task.id, expectedVersion: task.version, comments: list });
          }}
        >
          <label htmlFor="review-summary" className="text-xs font-medium text-zinc-600 dark:text-zinc-400">
            Request changes — {drafts.length} line comment{drafts.length === 1 ? "" : "s"}; click a line&apos;s + to add
            one. They go back to the agent as its next prompt, on the same branch.
          </label>
          <textarea
            id="review-summary"
            className="input min-h-12 text-sm"
            placeholder="What should change overall? (optional with line comments)"
            value={summary}
            maxLength={8192}
            onChange={(e) => setSummary(e.target.value)}
          />
          <div className="flex justify-end">
            <button
              type="submit"
              className="btn btn-sm btn-primary"
              disabled={commentCount === 0 || request.isPending}
              data-testid="request-changes-submit"
            >
              Request changes{commentCount > 0 ? ` (${commentCount})` : ""}
            </button>
          </div>
        </form>
      ) : null}
    </div>
  );
}
