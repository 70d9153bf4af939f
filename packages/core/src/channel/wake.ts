/**
 * Messages that wake agents. An agent's blocking receive is its run queue: a message it should act on creates an
 * inbox round — a task assigned to it, tagged `inbox`, whose prompt is its inbox (the runner puts held messages in
 * every prompt) — so an idle agent picks it up as fast as any task, and a working one at its next round. Which types
 * wake is a rule per model (`wakeOn`); the default never spends a run on chatter (replies, reports, acks).
 */
import { findAgent } from "../agent/agent.service";
import { agentTakesWork } from "../task/board";
import { createTask, findTask } from "../task/task.service";
import type { Task } from "../task/task";
import type { Town } from "../town/town";
import type { Message, MessageType, SendMessageInput } from "../message/message";
import { resolveModel } from "../models/models";
import { SUPERVISOR } from "../redis/keys";
import { sendMessage, type SendOptions } from "./channel";

/** The tag of an inbox round; a round that finds its inbox empty (another run read it) ends without a run. */
export const INBOX_ROUND_TAG = "inbox";
export const INBOX_ROUND_TEXT =
  'Read the messages above (your inbox) and act on them. Answer whoever expects a reply with `tt send <name> "…"`; ' +
  "when there is nothing to do, complete this task saying so.";

/** Handled by the runner itself (replies, drain) or carried by a task of their own: never a round. */
const NEVER_WAKE: ReadonlySet<MessageType> = new Set([
  "status_request",
  "ping",
  "shutdown",
  "task_assign",
  "status_response",
  "pong",
  "ack",
  "task_done",
  "task_failed",
]);
const DEFAULT_WAKE: ReadonlySet<MessageType> = new Set(["query", "custom"]);

/**
 * Whether a message of `type` wakes an agent of a model with `wakeOn` (undefined: the default rule): `query` and
 * `custom` from anyone, `info` only from a person (a human's `tt send` is an instruction; an agent's is chatter).
 */
export function wakes(type: MessageType, fromAgent: boolean, wakeOn: readonly MessageType[] | undefined): boolean {
  if (NEVER_WAKE.has(type)) return false;
  if (wakeOn) return wakeOn.includes(type);
  return DEFAULT_WAKE.has(type) || (type === "info" && !fromAgent);
}

export const isInboxRound = (t: Pick<Task, "tags">) => t.tags.includes(INBOX_ROUND_TAG);

/**
 * Sends a message (see `sendMessage`), then wakes its agent when the agent's model says this type should: an inbox
 * round is created unless one is already waiting to start (it will read this message too). Returns the message and
 * the round created, if any. Nothing is woken for the supervisor, a paused or stopped agent, or a broadcast.
 */
export async function sendMessageWaking(
  town: Town,
  raw: SendMessageInput,
  opts: SendOptions = {},
): Promise<{ message: Message; round: Task | null }> {
  const message = await sendMessage(town, raw, opts);
  return { message, round: await wakeFor(town, message) };
}

/** The wake step on its own, for a message already in an inbox. */
export async function wakeFor(town: Town, m: Message): Promise<Task | null> {
  if (m.to === SUPERVISOR || NEVER_WAKE.has(m.type)) return null;
  const [agent, senderId] = await Promise.all([
    findAgent(town, m.to),
    town.redis.hget(town.keys.agentNames, m.from.toLowerCase()),
  ]);
  if (!agent || !agentTakesWork(agent.state)) return null;
  let wakeOn: readonly MessageType[] | undefined;
  try {
    wakeOn = resolveModel(town.config.models, agent.model).wakeOn;
  } catch {
    wakeOn = undefined; // a model this process does not know: the default rule
  }
  if (!wakes(m.type, senderId !== null, wakeOn)) return null;
  const pending = await town.redis.get(town.keys.wake(agent.id));
  if (pending) {
    const t = await findTask(town, pending);
    if (t && t.state === "assigned" && t.assignedTo === agent.id && !t.waitingFor) return null;
  }
  const round = await createTask(town, {
    description: INBOX_ROUND_TEXT,
    tags: [INBOX_ROUND_TAG],
    priority: m.priority,
    assignTo: agent.id,
    by: m.from,
  });
  await town.redis.set(town.keys.wake(agent.id), round.id, "PX", 7 * 24 * 3600_000);
  return round;
}

/**
 * Records the seed's `task_assign` message in the agent's inbox (`tt assign`): it never wakes the agent (the task is
 * already queued) and its run reads it with the task.
 */
export async function recordTaskAssign(town: Town, task: Task, by: string): Promise<Message | null> {
  if (!task.assignedTo) return null;
  return sendMessage(town, {
    to: task.assignedTo,
    from: by,
    type: "task_assign",
    priority: task.priority,
    body: `assigned to you: ${task.description.slice(0, 200)}`,
    correlationId: task.id,
    data: { taskId: task.id },
  });
}
