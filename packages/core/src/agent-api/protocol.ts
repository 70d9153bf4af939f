/**
 * The agent API: what an agent process may do, over a per-run credential the runner hands it instead of a Redis
 * URL. The runner serves it (apps/runner/src/agent-api), `tt` inside an agent calls it (apps/cli agent mode).
 * Each operation is one POST to `/v1/<name>` with a JSON body and `Authorization: Bearer <token>`; the answer
 * is `{ data }`, or `{ error: { code, message } }` with a CoreError code. New operations (e.g. asking a human)
 * are one more entry here and one handler in the runner.
 *
 * The wire constants live in wire.ts (no imports), which is all `tt` in agent mode loads of core at run time.
 */
import { z } from "zod";
import type { CoreErrorCode } from "../errors";
import { MessageType, type Message } from "../message/message";
import type { AskMode, Need } from "../needs/need";
import { MailboxRef, TaskRef } from "../refs";
import { Priority, type Task } from "../task/task";
import { AGENT_INBOX_MAX_WAIT_MS } from "./wire";

export * from "./wire";

/** A task reference from the agent: its own task's id or a prefix of it (at least 8 characters); default: its task. */
const OwnTaskRef = TaskRef.optional();

export const AgentOps = {
  "task.show": z.object({ task: OwnTaskRef }).strict(),
  "task.complete": z.object({ task: OwnTaskRef, result: z.string().optional() }).strict(),
  "task.fail": z.object({ task: OwnTaskRef, error: z.string() }).strict(),
  "message.send": z
    .object({
      to: MailboxRef,
      body: z.string(),
      type: MessageType.optional(),
      priority: Priority.optional(),
      correlationId: z.string().max(128).optional(),
    })
    .strict(),
  "inbox.read": z
    .object({
      take: z.boolean().default(false),
      limit: z.number().int().min(1).max(100).default(50),
      /** With `take` and an empty inbox: wait this long for one message. */
      waitMs: z.number().int().min(0).max(AGENT_INBOX_MAX_WAIT_MS).default(0),
    })
    .strict(),
  /** Asks the humans ("Needs you"): the run's task waits for the answer (see needs/needs.service.ts). */
  ask: z
    .object({
      question: z.string(),
      options: z.array(z.string()).max(10).default([]),
    })
    .strict(),
} as const;

export type AgentOpName = keyof typeof AgentOps;
export type AgentOpInput<N extends AgentOpName> = z.input<(typeof AgentOps)[N]>;

export interface AgentOpResults {
  "task.show": Task;
  "task.complete": Task;
  "task.fail": Task;
  /** The message sent, and the display name of its mailbox. */
  "message.send": { message: Message; to: string };
  "inbox.read": { mailbox: string; messages: Message[] };
  /**
   * `end-run`: the question is recorded and the task parked: end the run now; the answer starts the next attempt.
   * `block`: `answer` is the answer (null: none came within the model's `askTimeoutSec`; the question stays open).
   */
  ask: { need: Need; mode: AskMode; answer: string | null; answeredBy: string | null };
}

export type AgentApiReply<N extends AgentOpName> =
  { data: AgentOpResults[N] } | { error: { code: CoreErrorCode; message: string } };

export const isAgentOp = (name: string): name is AgentOpName => Object.hasOwn(AgentOps, name);
