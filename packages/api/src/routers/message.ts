import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import { sendMessage, SendMessageInput } from "@tinytown/core";

import { peekMailbox } from "../services/inbox";
import { operatorProcedure, viewerProcedure } from "../trpc";

export const SendInput = SendMessageInput.pick({ to: true, body: true, priority: true, type: true }).extend({
  /** Sender shown to the agent; the person sending is recorded in `data.by` either way. */
  from: z.string().trim().min(1).max(128).optional(),
});
export type SendInput = z.infer<typeof SendInput>;

export const InboxInput = z.object({
  /** An agent's name or id, or "supervisor". */
  mailbox: z.string().trim().min(1, "name the mailbox (an agent or supervisor)").max(128),
  limit: z.number().int().positive().max(1000).default(100),
});
export type InboxInput = z.infer<typeof InboxInput>;

export const messageRouter = {
  send: operatorProcedure
    .input(SendInput)
    .mutation(({ ctx, input }) =>
      sendMessage(ctx.town, { ...input, from: input.from ?? "supervisor", data: { by: ctx.actor } }),
    ),

  /** The next messages of a mailbox, in the order they will be read, without taking them. */
  inbox: viewerProcedure.input(InboxInput).query(({ ctx, input }) => peekMailbox(ctx.town, input.mailbox, input.limit)),
} satisfies TRPCRouterRecord;
