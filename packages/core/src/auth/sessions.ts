/**
 * Sign-in sessions: `tt:<town>:session:<sha256(id)>` (JSON with a TTL) plus `tt:<town>:sessions:user:<name>`,
 * the set of a user's session hashes, so that a user can sign out everywhere. Only the browser holds the id.
 */
import { eventPlan } from "../channel/events";
import type { Town } from "../town/town";
import type { Principal } from "./roles";
import { digest, newSecret } from "./secret";
import { findUser } from "./users";

/** How long a session lasts without use. */
export const SESSION_TTL_MS = 7 * 24 * 3600_000;
/**
 * A session in use is renewed (its TTL set back to {@link SESSION_TTL_MS}) at most this often; the transport
 * refreshes the cookie's Max-Age at the same moment, so an active user is never signed out.
 */
export const SESSION_RENEW_EVERY_MS = 3600_000;

interface StoredSession {
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

/** A live session: who it belongs to (with their role now), when it ends, and whether this use renewed it. */
export interface LiveSession {
  principal: Principal & { kind: "user" };
  expiresAt: number;
  /** This use renewed the session: send the cookie again with the new expiry. */
  renewed: boolean;
}

/**
 * Resolves a session id and renews the session when its last renewal is over {@link SESSION_RENEW_EVERY_MS} ago.
 * Null if the id is unknown or expired, or the user is gone.
 */
export async function touchSession(town: Town, sessionId: string): Promise<LiveSession | null> {
  if (!sessionId || sessionId.length > 128) return null;
  const key = town.keys.session(digest(sessionId));
  const [[, json], [, ttl]] = (await town.redis.multi().get(key).pttl(key).exec()) as [
    [null, string | null],
    [null, number],
  ];
  if (!json) return null;
  const session = JSON.parse(json) as StoredSession;
  const user = await findUser(town, session.user);
  if (!user) return null;
  const principal = { kind: "user" as const, name: user.name, role: user.role };
  if (ttl > 0 && ttl < SESSION_TTL_MS - SESSION_RENEW_EVERY_MS) {
    await town.redis
      .multi()
      .pexpire(key, SESSION_TTL_MS)
      .pexpire(town.keys.userSessions(user.name), SESSION_TTL_MS)
      .exec();
    return { principal, expiresAt: Date.now() + SESSION_TTL_MS, renewed: true };
  }
  return { principal, expiresAt: Date.now() + Math.max(ttl, 0), renewed: false };
}

/** The signed-in user of a session id, with the role they have now; null if unknown, expired or the user is gone. */
export async function resolveSession(town: Town, sessionId: string): Promise<Principal | null> {
  return (await touchSession(town, sessionId))?.principal ?? null;
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
