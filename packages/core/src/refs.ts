/**
 * What a client may pass to name a thing, one schema each for every entry point (tRPC, MCP, the CLI, the agent API):
 * task, agent and mailbox references, the actor of a change, versions and stream positions. Pure: part of
 * `@tinytown/core/schema`.
 */
import { z } from "zod";

/** A task's id or a unique prefix of it (ids are 36-character uuids). */
export const TaskRef = z.string().trim().min(1, "give the task id (or a unique prefix of it)").max(64);
export type TaskRef = z.infer<typeof TaskRef>;

/** An agent's name (case-insensitive), id or unique id prefix. */
export const AgentRef = z.string().trim().min(1, "name the agent (its name or id)").max(128);
export type AgentRef = z.infer<typeof AgentRef>;

/** A mailbox: an agent reference, or `supervisor` (alias `conductor`), the humans' mailbox. */
export const MailboxRef = z.string().trim().min(1, "name the mailbox (an agent or supervisor)").max(128);
export type MailboxRef = z.infer<typeof MailboxRef>;

/**
 * Who makes a change: a user name, `token:<name>`, an agent's name or `runner:<id>` (the principal, never chosen by
 * the client). Every change records it as the event's `by`; core has no default for it.
 */
export const Actor = z.string().min(1, "say who makes the change").max(128);
export type Actor = z.infer<typeof Actor>;

/** The version of a task or agent as the caller last saw it: a stale one is refused with CONFLICT. */
export const Version = z.number().int().nonnegative();

/** A Redis stream id `<ms>-<seq>`: an event's or a log line's, as a client passes it back to resume. */
export const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
export const StreamId = z.string().regex(STREAM_ID, "a stream position is an id such as 1732412345678-0");
export type StreamId = z.infer<typeof StreamId>;
/** A position as a person may type it (`tt events --after`): a stream id, or a time in ms (every entry after it). */
export const STREAM_POSITION = /^\d{1,20}(-\d{1,20})?$/;
