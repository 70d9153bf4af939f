/**
 * `npm start`'s default town lives in Tinytown's own checkout (a git repository): scripts/demo-repo.mjs gives it a
 * demo repository of its own, so trying the board never makes branches or worktrees in Tinytown's repository.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { connectTown, ensureWorktree, initTown, resolveWorkspace } from "@tinytown/core";
import { taskIds, tempRepo, testRedisUrl, uniqueTownName, type TestRepo } from "@tinytown/core/testing";

const SCRIPT = join(import.meta.dirname, "..", "..", "..", "scripts", "demo-repo.mjs");
const workspaceOf = (file: string) => (JSON.parse(readFileSync(file, "utf8")) as { workspace?: unknown }).workspace;
const demo = (dir: string) => spawnSync(process.execPath, [SCRIPT, dir], { encoding: "utf8" });

let repos: TestRepo[] = [];
afterEach(() => {
  for (const r of repos) r.remove();
  repos = [];
});

test("the default town gets its own demo repository: task branches and worktrees never land in the checkout", async () => {
  // A stand-in for Tinytown's checkout, on a feature branch, with the default town at its top.
  const checkout = tempRepo({ "README.md": "# tinytown\n" }, "feature-x");
  repos.push(checkout);
  await (await initTown({ dir: checkout.dir, name: uniqueTownName("demo"), redisUrl: testRedisUrl() })).close();
  expect(workspaceOf(join(checkout.dir, "tinytown.json"))).toEqual({
    base: "feature-x",
  });

  expect(demo(checkout.dir).stdout).toBe("created\n");
  expect(demo(checkout.dir).stdout).toBe("unchanged\n");
  expect(workspaceOf(join(checkout.dir, "tinytown.json"))).toEqual({
    base: "main",
    repo: ".tt/demo-repo",
  });

  const town = await connectTown({ cwd: checkout.dir, env: {} });
  try {
    const ws = (await resolveWorkspace(town))!;
    expect(ws).toMatchObject({ repo: join(checkout.dir, ".tt/demo-repo"), base: "main" });
    const [id] = taskIds(1);
    const wt = await ensureWorktree(ws, { taskId: id!, agent: "worker-1" });
    expect(readFileSync(join(wt.path, "src/app.ts"), "utf8")).toContain("listen");
    const branches = (cwd: string) => spawnSync("git", ["branch", "--list", "tt/*"], { cwd, encoding: "utf8" }).stdout;
    expect(branches(ws.repo)).toContain(wt.branch);
    expect(branches(checkout.dir)).toBe("");
    expect(checkout.git("status", "--porcelain", "--untracked-files=all")).not.toContain(".tt/");
  } finally {
    await town.close();
  }
});

test("a town that names its own repository, or turned worktrees off, is left as it is", async () => {
  const checkout = tempRepo();
  repos.push(checkout);
  await (await initTown({ dir: checkout.dir, name: uniqueTownName("demo"), redisUrl: testRedisUrl() })).close();
  const file = join(checkout.dir, "tinytown.json");
  const config = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  for (const workspace of [{ enabled: false }, { repo: "../elsewhere" }]) {
    const text = JSON.stringify({ ...config, workspace }, null, 2);
    writeFileSync(file, text);
    expect(demo(checkout.dir).stdout).toBe("unchanged\n");
    expect(readFileSync(file, "utf8")).toBe(text);
  }
});
