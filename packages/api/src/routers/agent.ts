import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import {
  AgentRef,
  agentDetail,
  closeAgent,
  interruptAgent,
  listAgents,
  restartAgent,
  resumeAgent,
  spawnAgent,
  SpawnAgentInput,
  stopAgent,
} from "@tinytown/core";

import { adminProcedure, viewerProcedure } from "../trpc";

export const AgentInput = z.object({ agent: AgentRef });
export type AgentInput = z.infer<typeof AgentInput>;
export const SpawnInput = SpawnAgentInput.pick({ name: true, model: true });
export type SpawnInput = z.infer<typeof SpawnInput>;
export const KillAgentInput = z.object({ agent: AgentRef, tasks: z.enum(["requeue", "cancel"]).default("requeue") });
export type KillAgentInput = z.infer<typeof KillAgentInput>;
export const InterruptAgentInput = z.object({ agent: AgentRef, now: z.boolean().optional() });
export type InterruptAgentInput = z.infer<typeof InterruptAgentInput>;

export const agentRouter = {
  list: viewerProcedure.query(({ ctx }) => listAgents(ctx.town)),

  /** One agent with its tasks (newest first, ≤100) and its inbox (peeked, in read order). */
  get: viewerProcedure.input(AgentInput).query(({ ctx, input }) => agentDetail(ctx.town, input.agent)),

  spawn: adminProcedure
    .input(SpawnInput)
    .mutation(({ ctx, input }) => spawnAgent(ctx.town, { ...input, by: ctx.actor })),

  /** Stops the agent now; its unfinished tasks go back to the backlog (`requeue`) or are cancelled. */
  kill: adminProcedure
    .input(KillAgentInput)
    .mutation(({ ctx, input }) => stopAgent(ctx.town, input.agent, { tasks: input.tasks, by: ctx.actor })),

  /** Pauses the agent; with `now`, its current run is stopped and the task requeued. */
  interrupt: adminProcedure
    .input(InterruptAgentInput)
    .mutation(({ ctx, input }) => interruptAgent(ctx.town, input.agent, ctx.actor, { now: input.now })),

  resume: adminProcedure.input(AgentInput).mutation(({ ctx, input }) => resumeAgent(ctx.town, input.agent, ctx.actor)),

  /** Finish the current task, then stop. */
  close: adminProcedure.input(AgentInput).mutation(({ ctx, input }) => closeAgent(ctx.town, input.agent, ctx.actor)),

  restart: adminProcedure
    .input(AgentInput)
    .mutation(({ ctx, input }) => restartAgent(ctx.town, input.agent, ctx.actor)),
} satisfies TRPCRouterRecord;
