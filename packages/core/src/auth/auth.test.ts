/** Users, roles, tokens, sessions, sign-in and the audit log, on a real Redis. */
import { afterEach, beforeEach, describe, expect, test } from "vitest";

import { readEvents } from "../channel/events";
import { testTown } from "../testing";
import { dumpTown, expectCoreError, expectRefusedUnchanged } from "../testing/inspect";
import type { Town } from "../town/town";
import { accessMode, authenticate, isLoopbackHost } from "./access";
import { auditLog } from "./audit";
import { login } from "./login";
import { hashPassword, verifyPassword } from "./password";
import { MESSAGE_TYPES } from "../message/message";
import { actorOf, assertCan, assertCanSend, can, messageAction, PERMISSIONS, ROLES } from "./roles";
import { endAllSessions, endSession } from "./session-store";
import { resolveSession } from "./sessions";
import { createToken, listTokens, resolveToken, revokeToken } from "./tokens";
import { addUser, findUser, hasUsers, listUsers, removeUser, setUserRole } from "./users";

let town: Town;
beforeEach(async () => {
  town = await testTown({}, "auth");
});
afterEach(() => town.close());

const PW = "correct horse battery";

describe("roles", () => {
  test("one table: viewer reads; operator creates, moves, messages; admin also manages", () => {
    const allowed = Object.fromEntries(
      ROLES.map((r) => [r, Object.keys(PERMISSIONS).filter((a) => can(r, a as keyof typeof PERMISSIONS))]),
    );
    expect(allowed).toEqual({
      viewer: ["read"],
      operator: ["read", "task.write", "message.send"],
      admin: ["read", "task.write", "message.send", "agent.manage", "user.manage", "settings.manage"],
    });
  });

  test("assertCan says who, what is missing and how to get it", () => {
    const err = (() => {
      try {
        assertCan({ kind: "user", name: "vic", role: "viewer" }, "task.write");
      } catch (e) {
        return e as Error & { code: string };
      }
    })();
    expect(err?.code).toBe("FORBIDDEN");
    expect(err?.message).toContain("vic is a viewer; this needs the operator role");
    expect(actorOf({ kind: "token", name: "ci-bot", role: "operator", tokenId: "x" })).toBe("token:ci-bot");
  });

  test("a control message needs the role of the agent action it triggers: shutdown is admin-only", () => {
    const needs = Object.fromEntries(MESSAGE_TYPES.map((t) => [t, messageAction(t)]));
    expect(needs).toEqual({
      ...Object.fromEntries(MESSAGE_TYPES.map((t) => [t, "message.send"])),
      shutdown: "agent.manage",
    });
    const olga = { kind: "user", name: "olga", role: "operator" } as const;
    expect(() => assertCanSend(olga, "info")).not.toThrow();
    expect(() => assertCanSend(olga, "shutdown")).toThrow(
      "olga is an operator; a shutdown message needs the admin role (ask an admin: tt user role olga admin)",
    );
    expect(() => assertCanSend({ kind: "token", name: "ci", role: "admin", tokenId: "x" }, "shutdown")).not.toThrow();
  });

  test("loopback detection", () => {
    for (const h of [undefined, "", "127.0.0.1", "localhost", "::1", "127.0.0.2"]) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ["0.0.0.0", "::", "192.168.1.4", "tt.example.com"]) expect(isLoopbackHost(h)).toBe(false);
  });
});

describe("passwords", () => {
  test("scrypt with a salt: the same password hashes differently and verifies; a wrong one does not", async () => {
    const [a, b] = await Promise.all([hashPassword(PW), hashPassword(PW)]);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$/);
    expect(await verifyPassword(PW, a)).toBe(true);
    expect(await verifyPassword(PW + "!", a)).toBe(false);
    expect(await verifyPassword(PW, "garbage")).toBe(false);
  });
});

describe("users", () => {
  test("add, list (never the hash), change role, remove; each change is an event with who did it", async () => {
    expect(await hasUsers(town)).toBe(false);
    expect(await accessMode(town, { exposed: false })).toEqual({ required: false, hasUsers: false, exposed: false });
    expect(await accessMode(town, { exposed: true })).toMatchObject({ required: true, hasUsers: false });
    const alice = await addUser(town, { name: "Alice", role: "admin", password: PW, by: "root" });
    expect(alice).toEqual({ name: "alice", role: "admin", createdAt: expect.any(Number) as number, createdBy: "root" });
    await addUser(town, { name: "bob", role: "viewer", password: PW, by: "alice" });
    expect(await accessMode(town, { exposed: false })).toMatchObject({ required: true, hasUsers: true });
    expect((await listUsers(town)).map((u) => [u.name, u.role])).toEqual([
      ["alice", "admin"],
      ["bob", "viewer"],
    ]);
    expect(JSON.stringify(await listUsers(town))).not.toContain("scrypt");
    expect(await setUserRole(town, { name: "bob", role: "operator", by: "alice" })).toMatchObject({ role: "operator" });
    await removeUser(town, { name: "bob", by: "alice" });
    expect(await findUser(town, "bob")).toBeNull();
    const events = (await readEvents(town)).map((e) => [e.type, e.by, e.user]);
    expect(events).toEqual([
      ["user.added", "root", "alice"],
      ["user.added", "alice", "bob"],
      ["user.role", "alice", "bob"],
      ["user.removed", "alice", "bob"],
    ]);
  });

  test("bad input and taken names change nothing", async () => {
    await addUser(town, { name: "alice", role: "admin", password: PW, by: "cli" });
    await expectRefusedUnchanged(
      town,
      () => addUser(town, { name: "ALICE", role: "viewer", password: PW, by: "cli" }),
      "ALREADY_EXISTS",
    );
    await expectRefusedUnchanged(
      town,
      () => addUser(town, { name: "bad name", role: "viewer", password: PW, by: "cli" }),
      "VALIDATION",
    );
    await expectRefusedUnchanged(
      town,
      () => addUser(town, { name: "carol", role: "root" as never, password: PW, by: "cli" }),
      "VALIDATION",
    );
    await expectRefusedUnchanged(
      town,
      () => addUser(town, { name: "carol", role: "viewer", password: "short", by: "cli" }),
      "VALIDATION",
    );
    await expectRefusedUnchanged(
      town,
      () => setUserRole(town, { name: "nobody", role: "viewer", by: "cli" }),
      "NOT_FOUND",
    );
  });

  test("the last admin can be neither demoted nor removed while others exist; alone, it can be removed", async () => {
    await addUser(town, { name: "alice", role: "admin", password: PW, by: "cli" });
    await expectRefusedUnchanged(
      town,
      () => setUserRole(town, { name: "alice", role: "operator", by: "cli" }),
      "INVALID_STATE",
    );
    await addUser(town, { name: "bob", role: "operator", password: PW, by: "cli" });
    const err = await expectRefusedUnchanged(
      town,
      () => removeUser(town, { name: "alice", by: "cli" }),
      "INVALID_STATE",
    );
    expect(err.message).toContain("last admin");
    await setUserRole(town, { name: "bob", role: "admin", by: "cli" });
    await setUserRole(town, { name: "alice", role: "viewer", by: "cli" });
    await removeUser(town, { name: "alice", by: "cli" });
    await removeUser(town, { name: "bob", by: "cli" });
    expect(await hasUsers(town)).toBe(false);
  });
});

describe("sign-in and sessions", () => {
  test("login gives a session whose role follows the user; sign out ends it; unknown ids are nobody", async () => {
    await addUser(town, { name: "alice", role: "admin", password: PW, by: "cli" });
    await addUser(town, { name: "bob", role: "operator", password: PW, by: "cli" });
    const { sessionId, user } = await login(town, { name: "bob", password: PW, ip: "10.0.0.1" });
    expect(user).toMatchObject({ name: "bob", role: "operator" });
    expect(JSON.stringify(await dumpTown(town))).not.toContain(sessionId);
    expect(await authenticate(town, { sessionId })).toEqual({ kind: "user", name: "bob", role: "operator" });
    await setUserRole(town, { name: "bob", role: "viewer", by: "cli" });
    expect(await resolveSession(town, sessionId)).toMatchObject({ role: "viewer" });
    await endSession(town, sessionId);
    expect(await resolveSession(town, sessionId)).toBeNull();
    expect(await resolveSession(town, "made-up")).toBeNull();
  });

  test("wrong password or unknown user: the same UNAUTHORIZED message", async () => {
    await addUser(town, { name: "alice", role: "admin", password: PW, by: "cli" });
    const a = await expectCoreError(
      () => login(town, { name: "alice", password: "nope-nope", ip: "1" }),
      "UNAUTHORIZED",
    );
    const b = await expectCoreError(() => login(town, { name: "mallory", password: PW, ip: "1" }), "UNAUTHORIZED");
    expect(a.message).toBe(b.message);
  });

  test("sign out everywhere ends every session of that user only; removing a user ends theirs too", async () => {
    await addUser(town, { name: "alice", role: "admin", password: PW, by: "cli" });
    await addUser(town, { name: "bob", role: "viewer", password: PW, by: "cli" });
    const a1 = (await login(town, { name: "alice", password: PW, ip: "1" })).sessionId;
    const a2 = (await login(town, { name: "alice", password: PW, ip: "2" })).sessionId;
    const b1 = (await login(town, { name: "bob", password: PW, ip: "1" })).sessionId;
    expect(await endAllSessions(town, "alice")).toBe(2);
    expect(await resolveSession(town, a1)).toBeNull();
    expect(await resolveSession(town, a2)).toBeNull();
    expect(await resolveSession(town, b1)).not.toBeNull();
    await removeUser(town, { name: "bob", by: "cli" });
    expect(await resolveSession(town, b1)).toBeNull();
  });
});

describe("tokens", () => {
  test("created once in plaintext, stored hashed, resolve to token:<name>, revoked by id or name", async () => {
    const { token, info } = await createToken(town, { name: "ci-bot", role: "operator", by: "alice" });
    expect(token).toMatch(/^tt_[A-Za-z0-9_-]{40,}$/);
    expect(JSON.stringify(await dumpTown(town))).not.toContain(token);
    const p = await resolveToken(town, token);
    expect(p).toEqual({ kind: "token", name: "ci-bot", role: "operator", tokenId: info.id });
    expect(actorOf(p!)).toBe("token:ci-bot");
    expect(await authenticate(town, { bearer: token, sessionId: "ignored" })).toEqual(p);
    expect(await resolveToken(town, token + "x")).toBeNull();
    expect(await resolveToken(town, "not-a-token")).toBeNull();
    await expectCoreError(() => createToken(town, { name: "ci-bot", role: "viewer", by: "cli" }), "ALREADY_EXISTS");
    expect((await listTokens(town)).map((t) => t.name)).toEqual(["ci-bot"]);
    await revokeToken(town, { ref: info.id, by: "alice" });
    expect(await resolveToken(town, token)).toBeNull();
    await expectCoreError(() => revokeToken(town, { ref: "ci-bot", by: "cli" }), "NOT_FOUND");
    const second = await createToken(town, { name: "deploy", role: "viewer", by: "cli" });
    await revokeToken(town, { ref: "deploy", by: "cli" });
    expect(await resolveToken(town, second.token)).toBeNull();
    expect((await readEvents(town)).map((e) => `${e.type} by ${e.by}`)).toEqual([
      "token.created by alice",
      "token.revoked by alice",
      "token.created by cli",
      "token.revoked by cli",
    ]);
  });
});

describe("audit log", () => {
  test("newest first, filtered by actor and type, paged with next", async () => {
    for (let i = 0; i < 5; i++) await createToken(town, { name: `t${i}`, role: "viewer", by: i % 2 ? "bob" : "alice" });
    const all = await auditLog(town);
    expect(all.events.map((e) => e.token)).toEqual(["t4", "t3", "t2", "t1", "t0"]);
    expect(all.next).toBeNull();
    const alice = await auditLog(town, { by: "ALICE", limit: 2 });
    expect(alice.events.map((e) => e.token)).toEqual(["t4", "t2"]);
    const rest = await auditLog(town, { by: "alice", before: alice.next! });
    expect(rest.events.map((e) => e.token)).toEqual(["t0"]);
    expect((await auditLog(town, { type: "user." })).events).toEqual([]);
  });
});
