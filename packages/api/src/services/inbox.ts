import { peek, resolveMailbox, type Message, type Town } from "@tinytown/core";

/** The next `limit` messages of a mailbox (an agent reference or "supervisor"), in read order, without taking them. */
export async function peekMailbox(town: Town, ref: string, limit: number): Promise<Message[]> {
  const mailbox = await resolveMailbox(town, ref);
  return peek(town, mailbox.id, limit);
}
