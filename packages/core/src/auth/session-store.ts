/**
 * The sign-in session store: `tt:<town>:session:<sha256(id)>` (JSON with a TTL) plus `tt:<town>:sessions:user:<name>`,
 * the set of a user's session hashes, so that a user can sign out everywhere. Only the browser holds the id. Who a
 * session belongs to now (with the user's current role) is sessions.ts.
 */
import { eventPlan } from "../channel/events";
import type { Town } from "../town/town";
import { digest, newSecret } from "./secret";

/** How long a session lasts without use. */
export const SESSION_TTL_MS = 7 * 24 * 3600_000;
/**
 * A session in use is renewed (its TTL set back to {@link SESSION_TTL_MS}) at most this often; the transport
 * refreshes the cookie's Max-Age at the same moment, so an active user is never signed out.
 */
export const SESSION_RENEW_EVERY_MS = 3600_000;

export interface StoredSession {
  user: string;
  createdAt: number;
}

/** Starts a session for `user` and returns its id (the cookie value); only its hash is stored. */
export async function createSession(town: Town, user: string): Promise<string> {
  const id = newSecret();
  const hash = digest(id);
  const body: StoredSession = { user, createdAt: Date.now() };
  await town.redis
    .multi()
    .set(town.keys.session(hash), JSON.stringify(body), "PX", SESSION_TTL_MS)
    .sadd(town.keys.userSessions(user), hash)
    .pexpire(town.keys.userSessions(user), SESSION_TTL_MS)
    .exec();
  return id;
}

/** Ends one session (sign out). */
export async function endSession(town: Town, sessionId: string): Promise<void> {
  const hash = digest(sessionId);
  const json = await town.redis.get(town.keys.session(hash));
  const multi = town.redis.multi().del(town.keys.session(hash));
  if (json) multi.srem(town.keys.userSessions((JSON.parse(json) as StoredSession).user), hash);
  await multi.exec();
}

/**
 * Ends every session of `user` (sign out everywhere; also when the user is removed or their password changes),
 * except the session `except` if given. Returns how many ended. Appends a `user.signed_out` event when any ended,
 * so that live streams opened with them end too.
 */
export async function endAllSessions(
  town: Town,
  user: string,
  by: string = user,
  opts: { except?: string } = {},
): Promise<number> {
  const keep = opts.except ? digest(opts.except) : null;
  const hashes = (await town.redis.smembers(town.keys.userSessions(user))).filter((h) => h !== keep);
  if (hashes.length === 0) return 0;
  const multi = town.redis.multi();
  for (const h of hashes) multi.del(town.keys.session(h));
  multi.srem(town.keys.userSessions(user), ...hashes);
  const ev = eventPlan(town, "user.signed_out", by, { user, sessions: hashes.length });
  multi.xadd(ev.stream, "MAXLEN", "~", ev.maxLen, "*", "type", ev.type, "data", JSON.stringify(ev.data));
  const replies = (await multi.exec()) ?? [];
  return replies.slice(0, hashes.length).filter(([, n]) => n === 1).length;
}
