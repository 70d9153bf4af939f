/** `tt user` and `tt token` on a real Redis, in-process. */
import { describe, expect, test, vi } from "vitest";
import { connectTown, LOGIN_POLICY, login, readEvents, resolveSession, resolveToken } from "@tinytown/core";
import { townDir, tt } from "../testing";

// Real scrypt cost (~0.4 s a hash) on a shared machine.
vi.setConfig({ testTimeout: 60_000 });

describe("tt user / tt token", () => {
  test("add (password from stdin), list, role, remove; the password works for sign-in; mistakes exit non-zero", async () => {
    const { dir } = await townDir();
    const add = await tt(
      dir,
      ["user", "add", "Ada", "--role", "admin", "--password-stdin"],
      { TT_ACTOR: "root" },
      "s3cret-pass\n",
    );
    expect(add).toMatchObject({ code: 0, err: "" });
    expect(add.out).toContain("added ada (admin)");
    expect((await tt(dir, ["user", "add", "bob", "--role", "viewer"], {}, "another-pass\n")).code).toBe(0);
    expect((await tt(dir, ["user", "add", "ada", "--role", "viewer"], {}, "another-pass\n")).code).toBe(4);
    expect((await tt(dir, ["user", "add", "cy", "--role", "root"], {}, "another-pass\n")).code).toBe(2);
    expect((await tt(dir, ["user", "add", "cy", "--role", "viewer"], {}, "short\n")).code).toBe(2);
    const list = await tt(dir, ["user", "list"]);
    expect(list.out).toMatch(/ada\s+admin/);
    expect(list.out).not.toContain("scrypt");
    expect((await tt(dir, ["user", "role", "bob", "operator"])).out).toContain("bob is now operator");
    const town = await connectTown({ cwd: dir, env: {} });
    try {
      await expect(login(town, { name: "ada", password: "s3cret-pass", ip: "cli" })).resolves.toMatchObject({
        user: { name: "ada", role: "admin", createdBy: "root" },
      });
      expect((await tt(dir, ["user", "remove", "ada"])).code).toBe(4); // the last admin while bob exists
      expect((await tt(dir, ["user", "rm", "bob"])).code).toBe(0);
      expect((await tt(dir, ["--json", "user", "list"])).out).toContain('"name": "ada"');
    } finally {
      await town.close();
    }
  });

  test("passwd sets a password from stdin and ends every session of that user; unknown users and short passwords fail", async () => {
    const { dir } = await townDir();
    expect((await tt(dir, ["user", "add", "ada", "--role", "admin"], {}, "first-password\n")).code).toBe(0);
    const town = await connectTown({ cwd: dir, env: {} });
    try {
      const s1 = (await login(town, { name: "ada", password: "first-password", ip: "10.0.0.1" })).sessionId;
      const s2 = (await login(town, { name: "ada", password: "first-password", ip: "10.0.0.2" })).sessionId;
      const r = await tt(dir, ["user", "passwd", "ada", "--password-stdin"], { TT_ACTOR: "root" }, "second-password\n");
      expect(r).toMatchObject({ code: 0, err: "" });
      expect(r.out).toContain("changed the password of ada; 2 sessions ended");
      expect(await resolveSession(town, s1)).toBeNull();
      expect(await resolveSession(town, s2)).toBeNull();
      await expect(login(town, { name: "ada", password: "first-password", ip: "10.0.0.1" })).rejects.toThrow(
        "wrong user name or password",
      );
      await expect(login(town, { name: "ada", password: "second-password", ip: "10.0.0.1" })).resolves.toMatchObject({
        user: { name: "ada" },
      });
      const events = (await readEvents(town)).filter((e) => e.type === "user.password");
      expect(events.map((e) => [e.by, e.user])).toEqual([["root", "ada"]]);
      expect((await tt(dir, ["user", "passwd", "nobody"], {}, "second-password\n")).code).toBe(3);
      expect((await tt(dir, ["user", "passwd", "ada"], {}, "short\n")).code).toBe(2);
      const empty = await tt(dir, ["user", "passwd", "ada", "--password-stdin"], {}, "");
      expect(empty.code).toBe(2);
      expect(empty.err).toContain("tt user passwd ada --password-stdin");
    } finally {
      await town.close();
    }
  });

  test("unlock lets a user whose sign-ins are held by a backoff in at once", async () => {
    const { dir } = await townDir();
    expect((await tt(dir, ["user", "add", "bo", "--role", "viewer"], {}, "bo-password\n")).code).toBe(0);
    const town = await connectTown({ cwd: dir, env: {} });
    try {
      for (let i = 0; i < LOGIN_POLICY.pair.free; i++)
        await login(town, { name: "bo", password: `guess-${i}`, ip: "10.0.0.7" }).catch(() => null);
      await expect(login(town, { name: "bo", password: "bo-password", ip: "10.0.0.7" })).rejects.toThrow(
        /too many failed sign-ins for "bo" from this address: try again in \d+ s/,
      );
      const r = await tt(dir, ["user", "unlock", "bo"], { TT_ACTOR: "root" });
      expect(r).toMatchObject({ code: 0, out: expect.stringContaining("bo may sign in again at once") as string });
      await expect(login(town, { name: "bo", password: "bo-password", ip: "10.0.0.7" })).resolves.toMatchObject({
        user: { name: "bo" },
      });
      expect((await readEvents(town)).filter((e) => e.type === "user.unlocked").map((e) => e.by)).toEqual(["root"]);
      expect((await tt(dir, ["user", "unlock", "nobody"])).code).toBe(3);
    } finally {
      await town.close();
    }
  });

  test("token create prints the secret once; list never shows it; revoke by id stops it", async () => {
    const { dir } = await townDir();
    const created = await tt(dir, ["--json", "token", "create", "ci-bot", "--role", "operator"]);
    expect(created.code).toBe(0);
    const { token, id } = JSON.parse(created.out) as { token: string; id: string };
    expect(token).toMatch(/^tt_/);
    const list = await tt(dir, ["token", "list"]);
    expect(list.out).toMatch(/ci-bot\s+operator/);
    expect(list.out).not.toContain(token);
    const town = await connectTown({ cwd: dir, env: {} });
    try {
      expect(await resolveToken(town, token)).toMatchObject({ name: "ci-bot" });
      expect((await tt(dir, ["token", "revoke", id])).out).toContain("revoked ci-bot");
      expect(await resolveToken(town, token)).toBeNull();
      expect((await tt(dir, ["token", "revoke", id])).code).toBe(3);
    } finally {
      await town.close();
    }
  });
});
