/**
 * Taking specific messages out of an inbox (not just the next one): a runner answers `status_request` and
 * `ping` itself and handles `shutdown`. ZREM of the exact member is atomic, so when several runners race for
 * the same message exactly one of them gets it.
 */
import type { Message } from "../message/message";
import type { Town } from "../town/town";

/** Takes the message `messageId` out of a mailbox; null when it is not there (or someone else took it first). */
export async function takeMessage(
  town: Town,
  mailboxId: string,
  messageId: string,
  opts: { scan?: number } = {},
): Promise<Message | null> {
  const key = town.keys.inbox(mailboxId);
  const raws = await town.redis.zrange(key, 0, String(Math.max(1, opts.scan ?? 1000) - 1));
  const raw = raws.find((r) => r.includes(messageId) && (JSON.parse(r) as Message).id === messageId);
  if (!raw) return null;
  return (await town.redis.zrem(key, raw)) === 1 ? (JSON.parse(raw) as Message) : null;
}

/** Takes every message matching `filter` among the first `scan` of a mailbox, in receive order. */
export async function takeMessages(
  town: Town,
  mailboxId: string,
  filter: (m: Message) => boolean,
  opts: { scan?: number } = {},
): Promise<Message[]> {
  const key = town.keys.inbox(mailboxId);
  const raws = await town.redis.zrange(key, 0, String(Math.max(1, opts.scan ?? 1000) - 1));
  const taken: Message[] = [];
  for (const raw of raws) {
    const m = JSON.parse(raw) as Message;
    if (filter(m) && (await town.redis.zrem(key, raw)) === 1) taken.push(m);
  }
  return taken;
}
