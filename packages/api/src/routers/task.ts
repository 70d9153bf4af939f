import { tracked, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import {
  BoardColumn,
  boardColumn,
  cancelTask,
  createTask,
  CreateTaskInput,
  getTask,
  listTasks,
  ListTasksInput,
  moveTask,
  MoveTarget,
  retryTask,
  StreamId,
  TaskChangeInput as CoreTaskChangeInput,
  TaskRef,
  Version,
  TASK_LOG_MAX_LEN,
  taskDetail,
  taskLogPage,
  TaskState,
} from "@tinytown/core";

import { guardedStream } from "../live/guarded";
import { changesProcedure } from "./review";
import { taskLogHub } from "../live/hub";
import { taskTails } from "../live/tails";
import { activityProcedures } from "./activity";
import { operatorProcedure, viewerProcedure } from "../trpc";

export const TaskColumnInput = z.object({
  column: BoardColumn,
  /** `nextCursor` of the previous page; omit for the first page. */
  cursor: z.number().int().nonnegative().optional(),
  limit: z.number().int().positive().max(1000).default(200),
});
export type TaskColumnInput = z.infer<typeof TaskColumnInput>;

export const TaskInput = z.object({ taskId: TaskRef });
export type TaskInput = z.infer<typeof TaskInput>;

export const CreateInput = CreateTaskInput.omit({ by: true });
export type CreateInput = z.infer<typeof CreateInput>;

export const MoveInput = z.object({
  taskId: TaskRef,
  target: MoveTarget,
  expectedState: TaskState,
  expectedVersion: Version,
});
export type MoveInput = z.infer<typeof MoveInput>;

export const TaskChangeInput = CoreTaskChangeInput.omit({ by: true });
export type TaskChangeInput = z.infer<typeof TaskChangeInput>;

export const TaskLogInput = z.object({
  taskId: TaskRef,
  after: StreamId.optional(),
  limit: z.number().int().positive().max(TASK_LOG_MAX_LEN).default(500),
});
export type TaskLogInput = z.infer<typeof TaskLogInput>;

export const TaskLogStreamInput = z.object({
  taskId: TaskRef,
  /** The id of the last line the client has (set by `httpSubscriptionLink` on reconnect); omit to start at the first line. */
  lastEventId: StreamId.nullish(),
});
export type TaskLogStreamInput = z.infer<typeof TaskLogStreamInput>;

export const TaskTailsInput = z.object({
  /** Full task ids (the board's running cards); at most 50. */
  taskIds: z.array(z.string().trim().min(1).max(64)).max(50, "at most 50 tasks at once"),
});
export type TaskTailsInput = z.infer<typeof TaskTailsInput>;

export const taskRouter = {
  ...activityProcedures,

  list: viewerProcedure.input(ListTasksInput).query(({ ctx, input }) => listTasks(ctx.town, input)),

  /** One page of a board column, for infinite virtualised columns. */
  column: viewerProcedure
    .input(TaskColumnInput)
    .query(({ ctx, input }) =>
      boardColumn(ctx.town, { column: input.column, cursor: input.cursor ?? 0, limit: input.limit }),
    ),

  get: viewerProcedure.input(TaskInput).query(({ ctx, input }) => taskDetail(ctx.town, input.taskId)),

  /** The task's recorded changes (see `review.*` for the decisions on them). */
  changes: changesProcedure,

  create: operatorProcedure
    .input(CreateInput)
    .mutation(({ ctx, input }) => createTask(ctx.town, { ...input, by: ctx.actor })),

  /** A drag on the board; refused with CONFLICT (and the current state in `data.core.details`) when stale. */
  move: operatorProcedure
    .input(MoveInput)
    .mutation(({ ctx, input }) => moveTask(ctx.town, { ...input, by: ctx.actor })),

  cancel: operatorProcedure
    .input(TaskChangeInput)
    .mutation(({ ctx, input }) => cancelTask(ctx.town, { ...input, by: ctx.actor })),

  retry: operatorProcedure
    .input(TaskChangeInput)
    .mutation(({ ctx, input }) => retryTask(ctx.town, { ...input, by: ctx.actor })),

  /** A page of the task's output: the latest lines, or the lines after `after`. */
  log: viewerProcedure.input(TaskLogInput).query(({ ctx, input }) => taskLogPage(ctx.town, input)),

  /** The task's output, live, from the start (or after `lastEventId`); ends once the task is over and its log is drained. */
  logStream: viewerProcedure.input(TaskLogStreamInput).subscription(({ ctx, input, signal }) =>
    guardedStream(ctx, signal, async function* (live) {
      const task = await getTask(ctx.town, input.taskId);
      const lines = taskLogHub(ctx.town, task.id).subscribe({ after: input.lastEventId ?? "0-0", signal: live });
      for await (const line of lines) yield tracked(line.id, line);
    }),
  ),

  /** The last output line of each task, live (the board's running cards): a map task id → line, newest only. */
  tails: viewerProcedure
    .input(TaskTailsInput)
    .subscription(({ ctx, input, signal }) =>
      guardedStream(ctx, signal, (live) => taskTails(ctx.town, [...new Set(input.taskIds)], live)),
    ),
} satisfies TRPCRouterRecord;
