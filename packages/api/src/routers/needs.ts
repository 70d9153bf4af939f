import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import {
  answerNeed,
  AnswerNeedInput,
  claimNeed,
  dismissNeed,
  listNeeds,
  NeedId,
  readWebhookLog,
  releaseNeed,
} from "@tinytown/core";

import { adminProcedure, operatorProcedure, viewerProcedure } from "../trpc";

const ItemInput = z.object({ id: NeedId });

/** The "Needs you" inbox: anyone reads it; operators claim, answer and dismiss (as themselves). */
export const needsRouter = {
  /** Open items, most urgent first, with their count (the header's badge). */
  list: viewerProcedure
    .input(z.object({ limit: z.number().int().positive().max(500).default(100) }).default({ limit: 100 }))
    .query(({ ctx, input }) => listNeeds(ctx.town, input)),

  /** "I'll take it": of two people claiming at once, one wins and the other gets CONFLICT naming the winner. */
  claim: operatorProcedure
    .input(ItemInput)
    .mutation(({ ctx, input }) => claimNeed(ctx.town, { ...input, by: ctx.actor })),

  release: operatorProcedure
    .input(ItemInput)
    .mutation(({ ctx, input }) => releaseNeed(ctx.town, { ...input, by: ctx.actor })),

  answer: operatorProcedure
    .input(AnswerNeedInput.pick({ id: true, answer: true }))
    .mutation(({ ctx, input }) => answerNeed(ctx.town, { ...input, by: ctx.actor })),

  dismiss: operatorProcedure
    .input(ItemInput)
    .mutation(({ ctx, input }) => dismissNeed(ctx.town, { ...input, by: ctx.actor })),

  /** The town webhook's latest deliveries (status, attempts, errors; never the secret). */
  webhookLog: adminProcedure.query(({ ctx }) => readWebhookLog(ctx.town)),
} satisfies TRPCRouterRecord;
