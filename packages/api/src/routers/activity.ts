/**
 * A task's activity (what its agent did, normalised from the CLI's structured session): a page, and the live
 * timeline. Spread into the task router as `task.activity` and `task.activityStream`.
 */
import { tracked, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import { ACTIVITY_MAX_LEN, getTask, readActivity, StreamId, TaskRef } from "@tinytown/core";

import { guardedStream } from "../live/guarded";
import { taskActivityHub } from "../live/hub";
import { viewerProcedure } from "../trpc";

export const TaskActivityInput = z.object({
  taskId: TaskRef,
  /** Entries after this id (oldest first); omit for the latest `limit` entries. */
  after: StreamId.optional(),
  limit: z.number().int().positive().max(ACTIVITY_MAX_LEN).default(500),
});
export type TaskActivityInput = z.infer<typeof TaskActivityInput>;

export const TaskActivityStreamInput = z.object({
  taskId: TaskRef,
  /** The id of the last entry the client has (set by `httpSubscriptionLink` on reconnect); omit to start at the first. */
  lastEventId: StreamId.nullish(),
});
export type TaskActivityStreamInput = z.infer<typeof TaskActivityStreamInput>;

export const activityProcedures = {
  /** A page of the task's activity: the latest entries, or the entries after `after`. */
  activity: viewerProcedure.input(TaskActivityInput).query(async ({ ctx, input }) => {
    const task = await getTask(ctx.town, input.taskId);
    return readActivity(ctx.town, task.id, { after: input.after, count: input.limit });
  }),

  /**
   * The task's activity, live, from the first entry (or after `lastEventId`); ends once the task is over and its
   * activity drained. Guarded and capped like `task.logStream`.
   */
  activityStream: viewerProcedure.input(TaskActivityStreamInput).subscription(({ ctx, input, signal }) =>
    guardedStream(ctx, signal, async function* (live) {
      const task = await getTask(ctx.town, input.taskId);
      const entries = taskActivityHub(ctx.town, task.id).subscribe({ after: input.lastEventId ?? "0-0", signal: live });
      for await (const entry of entries) yield tracked(entry.id, entry);
    }),
  ),
} satisfies TRPCRouterRecord;
