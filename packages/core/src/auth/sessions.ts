/**
 * Sign-in sessions: `tt:<town>:session:<sha256(id)>` (JSON with a TTL) plus `tt:<town>:sessions:user:<name>`,
 * the set of a user's session hashes, so that a user can sign out everywhere. Only the browser holds the id.
 */
import { eventPlan } from "../channel/events";
import type { Town } from "../town/town";
import type { Principal } from "./roles";
import { digest, newSecret } from "./secret";
import { findUser } from "./users";

/** How long a session lasts without use; every use within the second half of that window renews it. */
export const SESSION_TTL_MS = 7 * 24 * 3600_000;

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

/** The signed-in user of a session id, with the role they have now; null if unknown, expired or the user is gone. */
export async function resolveSession(town: Town, sessionId: string): Promise<Principal | null> {
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
  if (ttl > 0 && ttl < SESSION_TTL_MS / 2) {
    await town.redis
      .multi()
      .pexpire(key, SESSION_TTL_MS)
      .pexpire(town.keys.userSessions(user.name), SESSION_TTL_MS)
      .exec();
  }
  return { kind: "user", name: user.name, role: user.role };
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
 * Ends every session of `user` (sign out everywhere; also when the user is removed). Returns how many. Appends a
 * `user.signed_out` event when there were any, so that live streams opened with them end too.
 */
export async function endAllSessions(town: Town, user: string, by: string = user): Promise<number> {
  const hashes = await town.redis.smembers(town.keys.userSessions(user));
  const multi = town.redis.multi();
  for (const h of hashes) multi.del(town.keys.session(h));
  multi.del(town.keys.userSessions(user));
  if (hashes.length > 0) {
    const ev = eventPlan(town, "user.signed_out", by, { user, sessions: hashes.length });
    multi.xadd(ev.stream, "MAXLEN", "~", ev.maxLen, "*", "type", ev.type, "data", JSON.stringify(ev.data));
  }
  const replies = (await multi.exec()) ?? [];
  return replies.slice(0, hashes.length).filter(([, n]) => n === 1).length;
}
