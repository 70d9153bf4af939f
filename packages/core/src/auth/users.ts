/**
 * Users of a town: `tt:<town>:users`, a hash name → JSON. The password is kept only as a scrypt hash. Every
 * change appends an event (who did it, to whom), so the audit view shows user management too — except the silent
 * rehash of an old-parameter hash at sign-in, which changes nothing the user or an admin decided.
 */
import type { Redis } from "ioredis";
import { z } from "zod";

import { eventPlan } from "../channel/events";
import { CoreError, validationError } from "../errors";
import { applyPlan } from "../redis/atomic";
import { Actor } from "../refs";
import type { Town } from "../town/town";
import { hashPassword, needsRehash } from "./password";
import { Role } from "./roles";
import { endAllSessions } from "./session-store";

/** Lower-case, like agent names: `[a-z0-9][a-z0-9._-]{0,63}`. */
export const UserName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,63}$/,
    "a user name is 1–64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit",
  );
export const Password = z
  .string()
  .min(8, "a password has at least 8 characters")
  .max(1024, "a password has at most 1024 characters");

export const User = z.object({ name: z.string(), role: Role, createdAt: z.number(), createdBy: z.string() });
export type User = z.infer<typeof User>;
const StoredUser = User.extend({ passwordHash: z.string() });
type StoredUser = z.infer<typeof StoredUser>;

export const AddUserInput = z.object({ name: UserName, role: Role, password: Password, by: Actor });
export type AddUserInput = z.input<typeof AddUserInput>;

function parseInput<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw validationError(what, r.error.issues);
  return r.data;
}

const publicView = ({ passwordHash: _h, ...u }: StoredUser): User => u;

/** Whether the town has any user (then everything requires sign-in). */
export async function hasUsers(town: Town): Promise<boolean> {
  return (await town.redis.hlen(town.keys.users)) > 0;
}

/** The stored user with its password hash, or null. For sign-in only; never leaves core. */
export async function findStoredUser(town: Town, name: string): Promise<StoredUser | null> {
  const json = await town.redis.hget(town.keys.users, name.trim().toLowerCase());
  return json ? StoredUser.parse(JSON.parse(json)) : null;
}

export async function findUser(town: Town, name: string): Promise<User | null> {
  const u = await findStoredUser(town, name);
  return u ? publicView(u) : null;
}

export async function getUser(town: Town, name: string): Promise<User> {
  const u = await findUser(town, name);
  if (!u) throw new CoreError("NOT_FOUND", `no user "${name}": see \`tt user list\``, { name });
  return u;
}

/** Users by name. */
export async function listUsers(town: Town): Promise<User[]> {
  const all = await town.redis.hvals(town.keys.users);
  return all.map((j) => publicView(StoredUser.parse(JSON.parse(j)))).sort((a, b) => a.name.localeCompare(b.name));
}

/** Adds a user; ALREADY_EXISTS when the name is taken. */
export async function addUser(town: Town, input: AddUserInput): Promise<User> {
  const { name, role, password, by } = parseInput(AddUserInput, input, "user");
  const user: StoredUser = {
    name,
    role,
    createdAt: Date.now(),
    createdBy: by,
    passwordHash: await hashPassword(password),
  };
  const res = await applyPlan(town.redis, {
    expect: [],
    absent: [{ key: town.keys.users, field: name }],
    hset: [{ key: town.keys.users, fields: { [name]: JSON.stringify(user) } }],
    event: eventPlan(town, "user.added", by, { user: name, role }),
  });
  if (!res.ok)
    throw new CoreError(
      "ALREADY_EXISTS",
      `a user "${name}" already exists: change its role with \`tt user role ${name} <role>\` or remove it first`,
      { name },
    );
  return publicView(user);
}

/** Changes a user's role; takes effect on the user's next request (roles are read per request). */
export async function setUserRole(town: Town, input: { name: string; role: string; by: string }): Promise<User> {
  const name = parseInput(UserName, input.name, "user name");
  const role = parseInput(Role, input.role, "role");
  const { by } = input;
  for (;;) {
    const cur = await town.redis.hget(town.keys.users, name);
    if (!cur) throw new CoreError("NOT_FOUND", `no user "${name}": see \`tt user list\``, { name });
    const next: StoredUser = { ...StoredUser.parse(JSON.parse(cur)), role };
    const out = await updateUser(
      town,
      name,
      cur,
      JSON.stringify(next),
      eventPlan(town, "user.role", by, { user: name, role }),
    );
    if (out === "OK") return publicView(next);
  }
}

/** Removes a user and ends all of their sessions. The last admin cannot be removed. */
export async function removeUser(town: Town, input: { name: string; by: string }): Promise<User> {
  const name = parseInput(UserName, input.name, "user name");
  const { by } = input;
  for (;;) {
    const cur = await town.redis.hget(town.keys.users, name);
    if (!cur) throw new CoreError("NOT_FOUND", `no user "${name}": see \`tt user list\``, { name });
    const out = await updateUser(town, name, cur, "", eventPlan(town, "user.removed", by, { user: name }));
    if (out === "OK") {
      await endAllSessions(town, name, by);
      return publicView(StoredUser.parse(JSON.parse(cur)));
    }
  }
}

export const SetPasswordInput = z.object({
  name: UserName,
  password: Password,
  by: Actor,
  /** A session id to keep (the caller's own, when users change their own password); all others end. */
  keepSession: z.string().max(128).optional(),
});
export type SetPasswordInput = z.input<typeof SetPasswordInput>;

/**
 * Sets a user's password (an admin's reset, or the user's own change once the current password was checked) and
 * ends the user's sessions, all but `keepSession`: whoever held the old password is signed out.
 */
export async function setPassword(town: Town, input: SetPasswordInput): Promise<{ user: User; endedSessions: number }> {
  const { name, password, by, keepSession } = parseInput(SetPasswordInput, input, "password change");
  await getUser(town, name); // NOT_FOUND before an expensive hash
  const passwordHash = await hashPassword(password);
  for (;;) {
    const cur = await town.redis.hget(town.keys.users, name);
    if (!cur) throw new CoreError("NOT_FOUND", `no user "${name}": see \`tt user list\``, { name });
    const next: StoredUser = { ...StoredUser.parse(JSON.parse(cur)), passwordHash };
    const event = eventPlan(town, "user.password", by, { user: name });
    if ((await updateUser(town, name, cur, JSON.stringify(next), event)) === "OK") {
      const endedSessions = await endAllSessions(town, name, by, { except: keepSession });
      return { user: publicView(next), endedSessions };
    }
  }
}

/**
 * After a successful sign-in with `password`: if the stored hash uses older scrypt parameters, replaces it with one
 * made with the current ones. Skipped when the user changed meanwhile (a password change wins). No event.
 */
export async function upgradePasswordHash(town: Town, stored: StoredUser, password: string): Promise<boolean> {
  if (!needsRehash(stored.passwordHash)) return false;
  const cur = await town.redis.hget(town.keys.users, stored.name);
  if (!cur || StoredUser.parse(JSON.parse(cur)).passwordHash !== stored.passwordHash) return false;
  const next: StoredUser = { ...StoredUser.parse(JSON.parse(cur)), passwordHash: await hashPassword(password) };
  return (await updateUser(town, stored.name, cur, JSON.stringify(next), null)) === "OK";
}

/**
 * Replaces (or, with `next` = "", deletes) one user if its JSON is still `expected`, refusing to leave the town
 * without an admin while other users exist, and appends the event (if any) — all in one script.
 */
const UPDATE_USER = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur ~= ARGV[2] then return {'STALE'} end
local was = cjson.decode(cur)
local keepsAdmin = ARGV[3] ~= '' and cjson.decode(ARGV[3]).role == 'admin'
if was.role == 'admin' and not keepsAdmin then
  local admins = 0
  local vals = redis.call('HVALS', KEYS[1])
  for _, v in ipairs(vals) do if cjson.decode(v).role == 'admin' then admins = admins + 1 end end
  if admins <= 1 and (#vals > 1 or ARGV[3] ~= '') then return {'LAST_ADMIN'} end
end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
if ARGV[5] ~= '' then redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'type', ARGV[5], 'data', ARGV[6]) end
return {'OK'}
`;

type UserRedis = Redis & { ttUpdateUser(numKeys: number, ...args: string[]): Promise<string[]> };

async function updateUser(
  town: Town,
  name: string,
  expected: string,
  next: string,
  event: ReturnType<typeof eventPlan> | null,
): Promise<"OK" | "STALE"> {
  const r = town.redis as UserRedis;
  if (typeof r.ttUpdateUser !== "function") town.redis.defineCommand("ttUpdateUser", { lua: UPDATE_USER });
  const [status] = await r.ttUpdateUser(
    2,
    town.keys.users,
    town.keys.events,
    name,
    expected,
    next,
    String(event?.maxLen ?? 0),
    event?.type ?? "",
    JSON.stringify(event?.data ?? {}),
  );
  if (status === "LAST_ADMIN") {
    throw new CoreError(
      "INVALID_STATE",
      `"${name}" is the last admin: make another user admin first (tt user role <name> admin)`,
      { name },
    );
  }
  return status === "OK" ? "OK" : "STALE";
}
