import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import {
  AgentRef,
  cleanQueues,
  interruptAgent,
  listQueues,
  promoteTask,
  resumeAgent,
  retryQueues,
  TaskRef,
} from "@tinytown/core";

import { adminProcedure, viewerProcedure } from "../trpc";
import { AgentInput } from "./agent";

/** One agent's queue, or every agent's when `agent` is left out. */
export const QueueScopeInput = z.object({ agent: AgentRef.optional() }).default({});
export type QueueScopeInput = z.infer<typeof QueueScopeInput>;
export const PromoteInput = z.object({ taskId: TaskRef });
export type PromoteInput = z.infer<typeof PromoteInput>;

/**
 * The agents' BullMQ run queues, as `tt queue` sees them: thin adapters over core's queue-ops. Jobs are hints
 * (task state is the truth), so every action is safe to repeat. Pausing a queue is pausing its agent, as the CLI does.
 */
export const queueRouter = {
  /** Each agent's queue: its state, job counts, whether BullMQ has it paused, and how many tasks are assigned to it. */
  list: viewerProcedure.query(({ ctx }) => listQueues(ctx.town)),

  /** Drops waiting jobs whose task is no longer assigned to that agent; how many per agent. */
  clean: adminProcedure
    .input(QueueScopeInput)
    .mutation(({ ctx, input }) => cleanQueues(ctx.town, input.agent ? { agent: input.agent } : {})),

  /** Puts back the run of every assigned task that lost its job; how many per agent. */
  retry: adminProcedure
    .input(QueueScopeInput)
    .mutation(({ ctx, input }) => retryQueues(ctx.town, input.agent ? { agent: input.agent } : {})),

  /** Moves an assigned task to the front of its agent's queue. */
  promote: adminProcedure.input(PromoteInput).mutation(async ({ ctx, input }) => {
    await promoteTask(ctx.town, input.taskId);
    return { promoted: input.taskId };
  }),

  /** Pauses the agent's queue: the agent takes no new work (the same as `agent.interrupt`). */
  pause: adminProcedure
    .input(AgentInput)
    .mutation(({ ctx, input }) => interruptAgent(ctx.town, input.agent, ctx.actor)),

  /** Resumes a paused agent's queue (the same as `agent.resume`). */
  resume: adminProcedure.input(AgentInput).mutation(({ ctx, input }) => resumeAgent(ctx.town, input.agent, ctx.actor)),
} satisfies TRPCRouterRecord;
