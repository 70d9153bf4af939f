/**
 * Reviewing a task's changes: read the diff and comments, ask for changes, approve for merging, discard. The git
 * work (dry-run merge, merge, worktree removal) is done by a runner; these procedures record what people decide.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import {
  approveTask,
  ApproveTaskInput,
  discardTask,
  getTaskChanges,
  requestChanges,
  RequestChangesInput,
  requestRebase,
  RequestRebaseInput,
  TaskChangeInput,
  TaskRef,
} from "@tinytown/core";

import { operatorProcedure, viewerProcedure } from "../trpc";

export const ChangesInput = z.object({ taskId: TaskRef });
export type ChangesInput = z.infer<typeof ChangesInput>;

export const RequestChangesApiInput = RequestChangesInput.omit({ by: true });
export type RequestChangesApiInput = z.infer<typeof RequestChangesApiInput>;

export const ApproveInput = ApproveTaskInput.omit({ by: true });
export type ApproveInput = z.infer<typeof ApproveInput>;

export const RebaseInput = RequestRebaseInput.omit({ by: true });
export type RebaseInput = z.infer<typeof RebaseInput>;

export const DiscardInput = TaskChangeInput.omit({ by: true });
export type DiscardInput = z.infer<typeof DiscardInput>;

/** A task's files, stats, capped diff, the reviewers' comments and the last merge check (`task.changes`). */
export const changesProcedure = viewerProcedure
  .input(ChangesInput)
  .query(({ ctx, input }) => getTaskChanges(ctx.town, input.taskId));

/** Approves the changes for a runner to merge (merge commit or squash); conflicts found then send it back to waiting. */
const approve = operatorProcedure
  .input(ApproveInput)
  .mutation(({ ctx, input }) => approveTask(ctx.town, { ...input, by: ctx.actor }));

/** Decisions on a task's changes; reading them is `task.changes`. */
export const reviewRouter = {
  /** Sends the task back to its agent with the comments (on the change, a file, or a line of a file). */
  requestChanges: operatorProcedure
    .input(RequestChangesApiInput)
    .mutation(({ ctx, input }) => requestChanges(ctx.town, { ...input, by: ctx.actor })),

  /** One click when the last merge check found conflicts: a change request with a prepared rebase comment. */
  requestRebase: operatorProcedure
    .input(RebaseInput)
    .mutation(({ ctx, input }) => requestRebase(ctx.town, { ...input, by: ctx.actor })),

  approve,
  /** The dashboard's Merge button: the same decision as `approve` (the merge itself is a runner's job). */
  merge: approve,

  discard: operatorProcedure
    .input(DiscardInput)
    .mutation(({ ctx, input }) => discardTask(ctx.town, { ...input, by: ctx.actor })),
} satisfies TRPCRouterRecord;
