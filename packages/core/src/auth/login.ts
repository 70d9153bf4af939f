/**
 * Sign-in and the user's own password change: a throttled password check (throttle.ts) that takes the same time
 * whether or not the user exists, then a new session (or a new password). A hash made with older scrypt parameters
 * is upgraded once the password has proved right.
 */
import { z } from "zod";

import { CoreError, validationError } from "../errors";
import type { Town } from "../town/town";
import { dummyHash, verifyPassword } from "./password";
import { createSession } from "./session-store";
import { beginAttempt, clientKey, endAttempt, type LoginPolicy } from "./throttle";
import { findStoredUser, Password, setPassword, upgradePasswordHash, UserName, type User } from "./users";

export interface LoginInput {
  name: string;
  password: string;
  /** The client's address (for the throttle); "unknown" when the transport cannot tell. */
  ip: string;
}

const badCredentials = () =>
  new CoreError("UNAUTHORIZED", "wrong user name or password", { reason: "bad_credentials" });

/**
 * Checks `password` for `name` from the client `ip` under the sign-in throttle. Throws UNAUTHORIZED for a wrong
 * name or password (one message for both) or, without hashing anything, while a backoff holds this attempt.
 */
async function checkPassword(town: Town, input: LoginInput, policy?: LoginPolicy): Promise<User> {
  const parsedName = UserName.safeParse(input.name);
  const name = parsedName.success ? parsedName.data : "_invalid";
  const client = clientKey(input.ip);
  await beginAttempt(town, name, client, policy);
  let user;
  let ok: boolean;
  try {
    user = parsedName.success ? await findStoredUser(town, name) : null;
    ok = await verifyPassword(input.password, user?.passwordHash ?? (await dummyHash()));
  } catch (err) {
    // Never checked (Redis failed, or the hash gate was full): not a failed guess.
    await endAttempt(town, name, client, "void").catch(() => undefined);
    throw err;
  }
  if (!user || !ok) {
    await endAttempt(town, name, client, "failure");
    throw badCredentials();
  }
  await endAttempt(town, name, client, "success");
  await upgradePasswordHash(town, user, input.password);
  const { passwordHash: _h, ...publicUser } = user;
  return publicUser;
}

/** Checks the password and starts a session; UNAUTHORIZED for a wrong name/password or during a backoff. */
export async function login(
  town: Town,
  input: LoginInput,
  opts: { policy?: LoginPolicy } = {},
): Promise<{ sessionId: string; user: User }> {
  const user = await checkPassword(town, input, opts.policy);
  return { sessionId: await createSession(town, user.name), user };
}

export const ChangePasswordInput = z.object({
  name: UserName,
  currentPassword: z.string().min(1, "enter your current password").max(1024),
  newPassword: Password,
  /** The client's address, for the throttle (a wrong current password counts as a failed sign-in). */
  ip: z.string().max(128).default("unknown"),
  /** The caller's session, which stays signed in; every other session of the user ends. */
  keepSession: z.string().max(128).optional(),
});
export type ChangePasswordInput = z.input<typeof ChangePasswordInput>;

/**
 * A user changes their own password: the current one must be right (checked under the sign-in throttle, so a
 * borrowed session cannot be used to guess it), then every other session of the user ends. Audited as
 * `user.password` by the user.
 */
export async function changePassword(
  town: Town,
  raw: ChangePasswordInput,
): Promise<{ user: User; endedSessions: number }> {
  const r = ChangePasswordInput.safeParse(raw);
  if (!r.success) throw validationError("password change", r.error.issues);
  const input = r.data;
  if (input.newPassword === input.currentPassword)
    throw new CoreError("VALIDATION", "the new password is the same as the current one: pick another", {
      issues: ["newPassword: the same as the current one"],
    });
  try {
    await checkPassword(town, { name: input.name, password: input.currentPassword, ip: input.ip });
  } catch (err) {
    if (err instanceof CoreError && err.details.reason === "bad_credentials")
      throw new CoreError("VALIDATION", "the current password is wrong; nothing was changed", {
        reason: "bad_credentials",
        issues: ["currentPassword: wrong"],
      });
    throw err;
  }
  return setPassword(town, {
    name: input.name,
    password: input.newPassword,
    by: input.name,
    keepSession: input.keepSession,
  });
}
