import { z } from "zod";
import { Actor, MailboxRef } from "../refs";
import { Priority } from "../task/task";
import { utf8Length } from "../utf8";

export const MESSAGE_TYPES = [
  "task_assign",
  "task_done",
  "task_failed",
  "status_request",
  "status_response",
  "query",
  "info",
  "ack",
  "ping",
  "pong",
  "shutdown",
  "custom",
] as const;
export const MessageType = z.enum(MESSAGE_TYPES);
export type MessageType = z.infer<typeof MessageType>;

export const MAX_MESSAGE_BYTES = 64 * 1024;

export const Message = z.object({
  id: z.string(),
  from: z.string(),
  /** Mailbox id: an agent id, or "supervisor". */
  to: z.string(),
  type: MessageType,
  priority: Priority,
  createdAt: z.number(),
  correlationId: z.string().nullable(),
  /** Human-readable text. */
  body: z.string(),
  /** Structured payload for typed messages (e.g. `{ taskId }` for task_done). */
  data: z.record(z.string(), z.unknown()).nullable(),
});
export type Message = z.infer<typeof Message>;

export const SendMessageInput = z.object({
  /** Agent reference (name, id, id prefix) or supervisor/conductor. */
  to: MailboxRef,
  /** Who sends it (the event's `by`): a person, a token, an agent's name, or `supervisor` for the humans. */
  from: Actor,
  type: MessageType.default("info"),
  priority: Priority.default("normal"),
  body: z
    .string()
    .refine((s) => !s.includes("\u0000"), "the message contains a NUL byte")
    .refine((s) => utf8Length(s) <= MAX_MESSAGE_BYTES, "the message is over 64 KiB"),
  correlationId: z.string().max(128).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type SendMessageInput = z.input<typeof SendMessageInput>;
