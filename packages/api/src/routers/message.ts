import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import { assertCanSend, MailboxRef, peekMailbox, sendMessageWaking, SendMessageInput } from "@tinytown/core";

import { operatorProcedure, viewerProcedure } from "../trpc";

/**
 * What a client may say about a message. Not who sends it: `from` (and the event's `by`) is always the signed-in
 * principal, so a `from` in the input is dropped like any unknown field.
 */
export const SendInput = SendMessageInput.pick({ to: true, body: true, priority: true, type: true });
export type SendInput = z.infer<typeof SendInput>;

export const InboxInput = z.object({
  /** An agent's name or id, or "supervisor". */
  mailbox: MailboxRef,
  limit: z.number().int().positive().max(1000).default(100),
});
export type InboxInput = z.infer<typeof InboxInput>;

export const messageRouter = {
  /** Control types (shutdown) need the role of the agent action they trigger (core `messageAction`). */
  send: operatorProcedure.input(SendInput).mutation(({ ctx, input }) => {
    assertCanSend(ctx.principal, input.type);
    // A message an agent should act on wakes it (core channel/wake.ts); the reply is the message, as before.
    return sendMessageWaking(ctx.town, { ...input, from: ctx.actor, data: { by: ctx.actor } }).then((r) => r.message);
  }),

  /** The next messages of a mailbox, in the order they will be read, without taking them. */
  inbox: viewerProcedure
    .input(InboxInput)
    .query(async ({ ctx, input }) => (await peekMailbox(ctx.town, input.mailbox, input.limit)).messages),
} satisfies TRPCRouterRecord;
