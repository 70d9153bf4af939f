/**
 * Finding a town's repository and base, and refusing hostile input: ids, agent names, branches, paths and
 * remotes that could become options, escape a directory or name another branch are refused with VALIDATION
 * before git or the file system is touched. Plus the git runner's own limits (output, time, no git).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { isCoreError } from "../errors";
import { parseConfig } from "../town/config";
import { initTown } from "../town/town";
import { testRedisUrl } from "../testing";
import { rejectsWith, taskIds, tempRepo, type TestRepo } from "../testing/git";
import { git } from "./git";
import { checkRelativePath, checkRemote, taskBranch } from "./names";
import { listWorktrees, resolveWorkspace } from "./repo";
import { ensureWorktree, removeWorktree } from "./worktree";
import { captureChanges } from "./capture";
import { mergeBranch } from "./merge";

const cleanup: (() => void)[] = [];
afterEach(() => {
  while (cleanup.length) cleanup.pop()!();
});
function repo(...a: Parameters<typeof tempRepo>): TestRepo {
  const r = tempRepo(...a);
  cleanup.push(r.remove);
  return r;
}
function plainDir(): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), "tt-plain-")));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
const resolveIn = (dir: string | null, workspace: object = {}) =>
  resolveWorkspace({ dir, config: parseConfig({ name: "t", workspace }) });

describe("resolveWorkspace", () => {
  test("outside a git repository tasks run as before (null); asking for worktrees there says how to fix it", async () => {
    const d = plainDir();
    expect(await resolveIn(d)).toBeNull();
    expect(await resolveIn(null)).toBeNull();
    await rejectsWith(resolveIn(d, { enabled: true }), "VALIDATION", /is not in a git repository: run `git init`/);
  });

  test("in a repository: the base is the checked-out branch; enabled:false turns it off", async () => {
    const r = repo(undefined, "trunk");
    const sub = join(r.dir, "tools", "town");
    mkdirSync(sub, { recursive: true });
    const ws = await resolveIn(sub);
    expect(ws).toMatchObject({ repo: r.dir, base: "trunk", worktreesDir: join(sub, ".tt", "worktrees") });
    expect(await resolveIn(r.dir, { enabled: false })).toBeNull();
  });

  test("a town outside the repository names it with workspace.repo (relative to the town)", async () => {
    const r = repo();
    const town = plainDir();
    const rel = join("..", r.dir.split("/").pop()!);
    expect(await resolveIn(town, { repo: rel })).toMatchObject({
      repo: r.dir,
      worktreesDir: join(town, ".tt", "worktrees"),
    });
    await rejectsWith(resolveIn(town, { repo: "../no-such-repo-here" }), "VALIDATION", /not in a git repository/);
  });

  test("a base that does not exist, a detached HEAD or an empty repository are explained", async () => {
    const r = repo();
    await rejectsWith(resolveIn(r.dir, { base: "release" }), "VALIDATION", /base branch "release" does not exist/);
    r.git("checkout", "--quiet", "--detach");
    await rejectsWith(resolveIn(r.dir), "VALIDATION", /detached HEAD: set workspace.base/);
    expect(await resolveIn(r.dir, { base: "main" })).toMatchObject({ base: "main" });
    const empty = plainDir();
    execGit(empty, "init", "--quiet", "--initial-branch", "main");
    await rejectsWith(resolveIn(empty), "VALIDATION", /create it \(an initial commit\)/);
  });

  test("tt init inside a repository records the checked-out branch as the town's base", async () => {
    const r = repo(undefined, "develop");
    const town = await initTown({ dir: join(r.dir, "town"), name: `ws-${Date.now()}`, redisUrl: testRedisUrl() });
    try {
      const written = JSON.parse(readFileSync(join(r.dir, "town", "tinytown.json"), "utf8")) as { workspace?: unknown };
      expect(written.workspace).toEqual({ base: "develop" });
      expect(town.config.workspace.base).toBe("develop");
    } finally {
      await town.close();
    }
    const outside = await initTown({ dir: plainDir(), name: `ws-${Date.now()}-b`, redisUrl: testRedisUrl() });
    expect(outside.config.workspace.base).toBeUndefined();
    await outside.close();
  });
});

const execGit = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd });

describe("hostile input is refused before anything changes", () => {
  const snapshot = (r: TestRepo) => ({
    refs: r.git("for-each-ref", "--format=%(refname) %(objectname)"),
    worktrees: r.git("worktree", "list", "--porcelain"),
    dir: existsSync(join(r.dir, ".tt", "worktrees")),
  });

  test("task ids, agent names and branches that are options, paths or other branches", async () => {
    const r = repo();
    r.git("branch", "feature");
    const ws = await resolveIn(r.dir);
    const [id] = taskIds(1);
    const before = snapshot(r);
    const bad = [
      ensureWorktree(ws!, { taskId: "../../../../tmp/x", agent: "a1" }),
      ensureWorktree(ws!, { taskId: "--force", agent: "a1" }),
      ensureWorktree(ws!, { taskId: "abc", agent: "a1" }),
      ensureWorktree(ws!, { taskId: id!, agent: "-a1" }),
      ensureWorktree(ws!, { taskId: id!, agent: "../a1" }),
      ensureWorktree(ws!, { taskId: id!, agent: "a1", branch: "tt/a1/../../main" }),
      ensureWorktree(ws!, { taskId: id!, agent: "a1", branch: "--upload-pack=touch /tmp/pwned" }),
      ensureWorktree(ws!, { taskId: id!, agent: "a1", branch: "feature" }),
      removeWorktree(ws!, { branch: "main" }),
      removeWorktree(ws!, { branch: "feature" }),
      captureChanges(ws!, { path: r.dir, branch: "main", taskId: id!, agent: "a1", title: "t" }),
      mergeBranch(ws!, { branch: "feature", taskId: id!, title: "t", agent: "a1", by: "x" }),
      mergeBranch(ws!, {
        branch: `tt/a1/${id!.slice(0, 8)}`,
        taskId: id!,
        title: "t",
        agent: "a1",
        by: "x",
        expectedBaseHead: "HEAD~1",
      }),
    ];
    for (const p of bad) await rejectsWith(p, "VALIDATION");
    expect(snapshot(r)).toEqual(before);
    expect((await listWorktrees(ws!)).length).toBe(1);
  });

  test("config: copy paths, base and remote that escape or look like options", () => {
    for (const workspace of [
      { copy: ["../secrets.env"] },
      { copy: ["/etc/passwd"] },
      { copy: [".git/config"] },
      { copy: ["a/../../b"] },
      { base: "-x" },
      { base: "a..b" },
      { base: "x.lock" },
      { remote: "--upload-pack=touch /tmp/x" },
      { remote: "ext::sh -c touch% /tmp/x" },
      { setup: [[]] },
      { diffMaxBytes: 10 },
    ]) {
      expect(() => parseConfig({ name: "t", workspace }), JSON.stringify(workspace)).toThrow(
        /invalid tinytown.json: workspace\./,
      );
    }
    expect(() => checkRelativePath("x/../../y")).toThrow(/without ".."/);
    expect(() => checkRemote("-oProxyCommand=x")).toThrow(/invalid remote/);
    expect(taskBranch("a1", "0123abcd-0000-4000-8000-000000000000")).toBe("tt/a1/0123abcd");
  });
});

describe("the git runner", () => {
  test("output beyond the limit fails (or is cut when asked); a call past its timeout is killed", async () => {
    const r = repo({ "big.txt": "x".repeat(10_000) });
    await rejectsWith(
      git(["cat-file", "-p", "HEAD:big.txt"], { cwd: r.dir, maxBytes: 1000 }),
      "INTERNAL",
      /more than 1000 bytes/,
    );
    const cut = await git(["cat-file", "-p", "HEAD:big.txt"], { cwd: r.dir, maxBytes: 1000, truncate: true });
    expect(cut).toMatchObject({ truncated: true });
    expect(cut.stdout.length).toBe(1000);
    // An ssh "transport" that hangs: killed with its whole process group after the timeout.
    const started = Date.now();
    await rejectsWith(
      git(["-c", "core.sshCommand=sleep 61.5;:", "ls-remote", "ssh://example.invalid/x"], {
        cwd: r.dir,
        timeoutMs: 500,
      }),
      "TIMEOUT",
    );
    expect(Date.now() - started).toBeLessThan(5000);
    await new Promise((res) => setTimeout(res, 100));
    expect(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })).not.toContain("sleep 61.5");
  });

  test("without git on PATH the error says to install it", async () => {
    const r = repo();
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      const err = await git(["status"], { cwd: r.dir }).catch((e: unknown) => e);
      expect(isCoreError(err) && err.message).toMatch(/git is not installed/);
    } finally {
      process.env.PATH = path;
    }
  });
});
