/** `tt user` and `tt token` on a real Redis, in-process. */
import { describe, expect, test } from "vitest";
import { connectTown, login, resolveToken } from "@tinytown/core";
import { townDir, tt } from "../testing";

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
