/**
 * Sign-in: rate-limited per user name and client address, then a password check that takes the same time
 * whether or not the user exists, then a new session.
 */
import { CoreError } from "../errors";
import type { Town } from "../town/town";
import { dummyHash, verifyPassword } from "./password";
import { createSession } from "./sessions";
import { findStoredUser, UserName, type User } from "./users";

/** At most this many sign-in attempts per user name and address within {@link LOGIN_WINDOW_MS}. */
export const LOGIN_LIMIT = 10;
export const LOGIN_WINDOW_MS = 15 * 60_000;
/**
 * At most this many attempts per user name from all addresses together: a client that forges its address
 * (X-Forwarded-For without a proxy in front) still cannot guess more than this many passwords per window.
 */
export const LOGIN_LIMIT_ALL = 50;

export interface LoginInput {
  name: string;
  password: string;
  /** The client's address (for the rate limit); "unknown" when the transport cannot tell. */
  ip: string;
}

/** Checks the password and starts a session; UNAUTHORIZED for a wrong name/password or too many attempts. */
export async function login(town: Town, input: LoginInput): Promise<{ sessionId: string; user: User }> {
  const parsedName = UserName.safeParse(input.name);
  const name = parsedName.success ? parsedName.data : "_invalid";
  const ip = (input.ip || "unknown").slice(0, 64);
  const key = town.keys.loginAttempts(name, ip);
  const all = town.keys.loginAttempts(name, "*");
  // Every attempt counts (not only failures), so that parallel guesses cannot slip past the limit.
  const replies = (await town.redis
    .multi()
    .set(key, 0, "PX", LOGIN_WINDOW_MS, "NX")
    .incr(key)
    .pttl(key)
    .set(all, 0, "PX", LOGIN_WINDOW_MS, "NX")
    .incr(all)
    .pttl(all)
    .exec()) as [null, number | string][];
  const attempts = Number(replies[1]![1]);
  const total = Number(replies[4]![1]);
  if (attempts > LOGIN_LIMIT || total > LOGIN_LIMIT_ALL) {
    const retryAfterMs = Number(replies[attempts > LOGIN_LIMIT ? 2 : 5]![1]);
    const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
    throw new CoreError(
      "UNAUTHORIZED",
      `too many sign-in attempts for "${name}"${attempts > LOGIN_LIMIT ? " from this address" : ""}: try again in ${minutes} minute${minutes === 1 ? "" : "s"}`,
      {
        reason: "rate_limited",
        retryAfterMs,
      },
    );
  }
  const user = parsedName.success ? await findStoredUser(town, name) : null;
  const ok = await verifyPassword(input.password, user?.passwordHash ?? (await dummyHash()));
  if (!user || !ok) throw new CoreError("UNAUTHORIZED", "wrong user name or password", { reason: "bad_credentials" });
  await town.redis.del(key);
  const { passwordHash: _h, ...publicUser } = user;
  return { sessionId: await createSession(town, user.name), user: publicUser };
}
