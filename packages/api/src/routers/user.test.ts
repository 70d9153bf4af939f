import { afterAll, describe, expect, test, vi } from "vitest";

import { createToken, listUsers, readEvents, verifyPassword, findStoredUser } from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";

import { createContext } from "../context";
import { closeLiveHubs } from "../live/hub";
import { createCaller } from "../root";

// Adding a user hashes its password (~0.4 s at the real cost).
vi.setConfig({ testTimeout: 60_000 });

const town = await testTown({}, "users");
afterAll(async () => {
  closeLiveHubs(town);
  await town.close();
});

const as = (token: string) =>
  createCaller(createContext({ headers: new Headers({ authorization: `Bearer ${token}` }), town }));

describe("user router: users and tokens from the dashboard, admin only, audited", () => {
  test("an admin adds a user, changes its role, creates a token shown once, revokes it and removes the user", async () => {
    const { token: boss } = await createToken(town, { name: "boss", role: "admin", by: "cli" });
    const api = as(boss);

    const ada = await api.user.add({ name: "Ada", role: "operator", password: "correct horse battery" });
    expect(ada).toEqual(expect.objectContaining({ name: "ada", role: "operator", createdBy: "token:boss" }));
    expect(await verifyPassword("correct horse battery", (await findStoredUser(town, "ada"))!.passwordHash)).toBe(true);
    await expect(api.user.add({ name: "ada", role: "viewer", password: "another password" })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect(await api.user.setRole({ name: "ada", role: "admin" })).toMatchObject({ role: "admin" });

    const created = await api.user.createToken({ name: "ci-bot", role: "operator" });
    expect(created.token).toMatch(/^tt_/);
    const listed = await api.user.list();
    expect(listed.users.map((u) => [u.name, u.role])).toEqual([["ada", "admin"]]);
    expect(listed.tokens.map((t) => t.name).sort()).toEqual(["boss", "ci-bot"]);
    // Never a secret or a hash in the list.
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(JSON.stringify(listed)).not.toContain("scrypt");

    await api.user.revokeToken({ ref: "ci-bot" });
    await expect(as(created.token).town.status()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await api.user.remove({ name: "ada" });
    expect(await listUsers(town)).toEqual([]);

    const audit = (await readEvents(town, { count: 1000 })).filter((e) => /^(user|token)\./.test(e.type));
    expect(audit.map((e) => [e.type, e.by])).toEqual(
      expect.arrayContaining([
        ["user.added", "token:boss"],
        ["user.role", "token:boss"],
        ["token.created", "token:boss"],
        ["token.revoked", "token:boss"],
        ["user.removed", "token:boss"],
      ]),
    );
  });

  test("an operator may not see or change users and tokens", async () => {
    const { token } = await createToken(town, { name: "ops", role: "operator", by: "cli" });
    const api = as(token);
    await expect(api.user.list()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(api.user.createToken({ name: "sneaky", role: "admin" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await api.task.list({})).items).toBeDefined();
  });

  test("bad input changes nothing and says what is wrong", async () => {
    const { token } = await createToken(town, { name: "boss2", role: "admin", by: "cli" });
    await expect(as(token).user.add({ name: "x y", role: "operator", password: "short" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(await listUsers(town)).toEqual([]);
  });
});
