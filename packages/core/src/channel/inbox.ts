/**
 * A mailbox as a person looks at it: the messages waiting (in the order they will be read), those held by the
 * agent's running task (in its prompt, back in the inbox if that run is cut), and what the supervisor cap dropped.
 */
import type { Message } from "../message/message";
import { SUPERVISOR } from "../redis/keys";
import type { Town } from "../town/town";
import { peek, resolveMailbox, type Mailbox } from "./channel";
import { inflightMessages, type InflightMessages } from "./inflight";

export interface InboxView {
  mailbox: Mailbox;
  /** Held by the agent's running task: in its prompt, they leave only when that run ends normally. */
  inflight: InflightMessages;
  /** Waiting, in the order they will be read (the first `limit`). */
  messages: Message[];
  /** How many are waiting in all. */
  total: number;
  /** Supervisor mailbox: how many `task_done` reports the cap (`supervisor.keepTaskDone`) has dropped so far. */
  droppedReports: number;
}

/** The next `limit` messages of a mailbox (an agent reference or "supervisor"), in read order, without taking them. */
export async function peekMailbox(
  town: Town,
  ref: string,
  limit: number,
): Promise<{ mailbox: Mailbox; messages: Message[] }> {
  const mailbox = await resolveMailbox(town, ref);
  return { mailbox, messages: await peek(town, mailbox.id, limit) };
}

/** Reads a mailbox (agent reference, `supervisor` or `conductor`) without taking anything. */
export async function inboxView(town: Town, ref: string, opts: { limit?: number } = {}): Promise<InboxView> {
  const mailbox = await resolveMailbox(town, ref);
  const limit = Math.max(1, opts.limit ?? 50);
  const k = town.keys;
  const supervisor = mailbox.id === SUPERVISOR;
  const [raws, total, dropped, inflight] = await Promise.all([
    town.redis.zrange(k.inbox(mailbox.id), 0, String(limit - 1)),
    town.redis.zcard(k.inbox(mailbox.id)),
    supervisor ? town.redis.get(k.supervisorDropped) : Promise.resolve(null),
    supervisor ? Promise.resolve({ run: null, messages: [] }) : inflightMessages(town, mailbox.id),
  ]);
  return {
    mailbox,
    inflight,
    messages: raws.map((r) => JSON.parse(r) as Message),
    total,
    droppedReports: Number(dropped ?? 0),
  };
}
