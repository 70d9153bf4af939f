import { z } from "zod";

import { Actor, AgentRef, TaskRef, Version } from "../refs";
import { utf8Length } from "../utf8";
import { TaskReview, TaskWorkspace } from "./review";

export const TASK_STATES = ["pending", "assigned", "running", "completed", "failed", "cancelled"] as const;
export const TaskState = z.enum(TASK_STATES);
export type TaskState = z.infer<typeof TaskState>;

export const PRIORITIES = ["urgent", "high", "normal", "low"] as const;
export const Priority = z.enum(PRIORITIES);
export type Priority = z.infer<typeof Priority>;
/** 0 = urgent … 3 = low: lower sorts first. */
export const priorityRank = (p: Priority): number => PRIORITIES.indexOf(p);

export const MAX_DESCRIPTION_BYTES = 64 * 1024;

export const TaskDescription = z
  .string()
  .refine((s) => s.length > 0, "the task text is empty")
  .refine((s) => !s.includes("\u0000"), "the task text contains a NUL byte")
  .refine(
    (s) => !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "")),
    "the task text is not valid UTF-8",
  )
  .superRefine((s, ctx) => {
    const bytes = utf8Length(s);
    if (bytes > MAX_DESCRIPTION_BYTES)
      ctx.addIssue({
        code: "custom",
        message: `the task text is ${bytes} bytes; the limit is ${MAX_DESCRIPTION_BYTES} (64 KiB)`,
      });
  });

export const Tag = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._:-]{0,31}$/, "a tag is 1-32 characters of a-z, 0-9, '.', '_', ':' or '-'");

export const Task = z.object({
  id: z.string(),
  description: z.string(),
  state: TaskState,
  assignedTo: z.string().nullable(),
  priority: Priority,
  tags: z.array(z.string()),
  createdAt: z.number(),
  updatedAt: z.number(),
  startedAt: z.number().nullable(),
  completedAt: z.number().nullable(),
  result: z.string().nullable(),
  error: z.string().nullable(),
  attempts: z.number(),
  /**
   * The runner running it, while it is `running`: set by the runner's start and cleared in the same change that ends
   * the run (completed, failed, requeued, cancelled). A runner that stops heartbeating loses the task to another.
   */
  runner: z.string().nullable(),
  createdBy: z.string(),
  /** Who made the last change. */
  updatedBy: z.string(),
  version: z.number(),
  /** Branch, commits and diff stats of its git worktree (null: it never ran in one). */
  workspace: TaskWorkspace.nullable(),
  /** Review of its changes (null: nothing to review yet). */
  review: TaskReview.nullable(),
  /**
   * The "Needs you" question (a need id) the task waits on: it is `assigned` to its agent but not queued until a
   * person answers; the answer starts its next attempt (needs/needs.service.ts). Null: it waits for nobody.
   */
  waitingFor: z.string().nullable(),
});
export type Task = z.infer<typeof Task>;

export const CreateTaskInput = z.object({
  description: TaskDescription,
  priority: Priority.default("normal"),
  tags: z.array(Tag).max(16).default([]),
  /** Agent reference (name, id or id prefix): create it already assigned. */
  assignTo: AgentRef.optional(),
  by: Actor,
});
export type CreateTaskInput = z.input<typeof CreateTaskInput>;

/** Every change may carry the version the caller saw; a stale one is refused with CONFLICT. */
const Change = {
  taskId: TaskRef,
  expectedVersion: Version.optional(),
  by: Actor,
};

export const AssignTaskInput = z.object({ ...Change, agent: AgentRef });
export type AssignTaskInput = z.input<typeof AssignTaskInput>;
export const TaskChangeInput = z.object(Change);
export type TaskChangeInput = z.input<typeof TaskChangeInput>;
export const CompleteTaskInput = z.object({ ...Change, result: z.string().max(MAX_DESCRIPTION_BYTES).optional() });
export type CompleteTaskInput = z.input<typeof CompleteTaskInput>;
export const FailTaskInput = z.object({
  ...Change,
  error: z.string().min(1).max(MAX_DESCRIPTION_BYTES),
  /**
   * The messages the run had in its prompt: `consume` (default: the agent read them) or `return` them to the inbox
   * (the agent never handled them: it could not start, timed out, or its runner was lost).
   */
  messages: z.enum(["consume", "return"]).optional(),
});
export type FailTaskInput = z.input<typeof FailTaskInput>;

export const ListTasksInput = z.object({
  state: TaskState.optional(),
  agent: AgentRef.optional(),
  offset: z.number().int().nonnegative().default(0),
  limit: z.number().int().positive().max(1000).default(50),
});
export type ListTasksInput = z.input<typeof ListTasksInput>;

/** Legal `from` states of each task transition (drawn in ARCHITECTURE.md, "Lifecycles"). */
export const TASK_TRANSITIONS = {
  assign: ["pending", "assigned"],
  unassign: ["assigned"],
  start: ["assigned"],
  complete: ["running"],
  fail: ["running"],
  /** a run was interrupted or its runner lost: back to assigned, same agent */
  requeue: ["running"],
  /** the agent asked a human and its run ends: assigned, not queued, until the answer (`waitingFor`) */
  park: ["running"],
  /** the question is answered: queued again on the same agent, at the front */
  unpark: ["assigned"],
  cancel: ["pending", "assigned", "running"],
  retry: ["failed", "cancelled"],
  /** a reviewer asks for changes: a new attempt on the same agent and branch (review rules: REVIEW_TRANSITIONS) */
  requestChanges: ["completed"],
  /** review changes that keep the task's state */
  recordChanges: ["running", "completed", "failed", "cancelled"],
  approve: ["completed"],
  recordMergeCheck: ["completed"],
  recordMerge: ["completed"],
  discard: ["completed", "failed", "cancelled"],
} as const satisfies Record<string, readonly TaskState[]>;
export type TaskTransition = keyof typeof TASK_TRANSITIONS;
