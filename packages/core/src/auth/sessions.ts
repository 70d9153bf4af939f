/**
 * Who a sign-in session belongs to now: the stored session (session-store.ts) resolved to its user, with the role the
 * user has at this moment, renewed as it is used.
 */
import type { Town } from "../town/town";
import type { Principal } from "./roles";
import { digest } from "./secret";
import { SESSION_RENEW_EVERY_MS, SESSION_TTL_MS, type StoredSession } from "./session-store";
import { findUser } from "./users";

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
