/**
 * Task worktrees on real git: created from the base on `tt/<agent>/<task-short>`, reused by a follow-up,
 * isolated from each other, set up (copy + commands) before a run, removed by discard and prune.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { rejectsWith, taskIds, tempRepo, writeFiles, type TestRepo } from "../testing/git";
import { captureChanges } from "./capture";
import { listWorktrees } from "./repo";
import { ensureWorktree, pruneWorktrees, removeWorktree, type LeftoverWorktree } from "./worktree";

let repos: TestRepo[] = [];
const repo = (...a: Parameters<typeof tempRepo>) => {
  const r = tempRepo(...a);
  repos.push(r);
  return r;
};
const cleanupDirs: string[] = [];
afterEach(() => {
  for (const r of repos) r.remove();
  repos = [];
  for (const d of cleanupDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const branches = (r: TestRepo) =>
  r.git("for-each-ref", "--format=%(refname:short)", "refs/heads/").split("\n").filter(Boolean).sort();

describe("ensureWorktree", () => {
  test("creates .tt/worktrees/<short> on tt/<agent>/<short> from the base, locked for its task", async () => {
    const r = repo({ "a.txt": "a\n" });
    const ws = await r.workspace();
    const [id] = taskIds(1);
    const wt = await ensureWorktree(ws, { taskId: id!, agent: "a1" });
    expect(wt).toEqual({
      path: join(r.dir, ".tt/worktrees", id!.slice(0, 8)),
      branch: `tt/a1/${id!.slice(0, 8)}`,
      created: true,
    });
    expect(readFileSync(join(wt.path, "a.txt"), "utf8")).toBe("a\n");
    expect(r.git("-C", wt.path, "rev-parse", "HEAD").trim()).toBe(r.git("rev-parse", "main").trim());
    const entry = (await listWorktrees(ws)).find((w) => w.branch === wt.branch);
    expect(entry?.locked).toBe(`tinytown task ${id}`);
    // The main checkout does not see the worktree as untracked files.
    expect(r.git("status", "--porcelain")).toBe("");
  });

  test("a follow-up attempt reuses the worktree as it is, uncommitted files included", async () => {
    const r = repo();
    const ws = await r.workspace();
    const [id] = taskIds(1);
    const first = await ensureWorktree(ws, { taskId: id!, agent: "a1" });
    writeFileSync(join(first.path, "wip.txt"), "half done\n");
    const again = await ensureWorktree(ws, { taskId: id!, agent: "a1", branch: first.branch });
    expect(again).toEqual({ ...first, created: false });
    expect(readFileSync(join(again.path, "wip.txt"), "utf8")).toBe("half done\n");
    // Without the recorded branch (e.g. the runner lost it), the same task still finds its own worktree.
    expect(await ensureWorktree(ws, { taskId: id!, agent: "a1" })).toEqual({ ...first, created: false });
  });

  test("two tasks edited at the same time do not touch each other's files", async () => {
    const r = repo({ "shared.txt": "base\n" });
    const ws = await r.workspace();
    const [t1, t2] = taskIds(2);
    const [w1, w2] = await Promise.all([
      ensureWorktree(ws, { taskId: t1!, agent: "a1" }),
      ensureWorktree(ws, { taskId: t2!, agent: "a2" }),
    ]);
    writeFileSync(join(w1.path, "shared.txt"), "from a1\n");
    writeFileSync(join(w2.path, "only-a2.txt"), "a2\n");
    const [c1, c2] = await Promise.all([
      captureChanges(ws, { ...w1, taskId: t1!, agent: "a1", title: "one" }),
      captureChanges(ws, { ...w2, taskId: t2!, agent: "a2", title: "two" }),
    ]);
    expect(c1.files.map((f) => f.path)).toEqual(["shared.txt"]);
    expect(c2.files.map((f) => f.path)).toEqual(["only-a2.txt"]);
    expect(c1.diff).toBe(r.git("diff", c1.mergeBase, c1.head));
    expect(c2.diff).toBe(r.git("diff", c2.mergeBase, c2.head));
    expect(c1.diff).toContain("-base\n+from a1\n");
    expect(readFileSync(join(w2.path, "shared.txt"), "utf8")).toBe("base\n");
    expect(existsSync(join(w1.path, "only-a2.txt"))).toBe(false);
    expect(readFileSync(join(r.dir, "shared.txt"), "utf8")).toBe("base\n");
  });

  test("a task whose id shares the first 8 characters with another's gets a longer name", async () => {
    const r = repo();
    const ws = await r.workspace();
    const [t1, t2] = taskIds(2, "abcdef12");
    const w1 = await ensureWorktree(ws, { taskId: t1!, agent: "a1" });
    const w2 = await ensureWorktree(ws, { taskId: t2!, agent: "a1" });
    expect(w1.branch).toBe("tt/a1/abcdef12");
    expect(w2.branch).toBe(`tt/a1/${t2!.slice(0, 13)}`);
    expect(await ensureWorktree(ws, { taskId: t2!, agent: "a1" })).toEqual({ ...w2, created: false });
  });

  test("two tasks sharing a prefix created at the same moment each get their own worktree", async () => {
    const r = repo();
    const ws = await r.workspace();
    const ids = taskIds(3, "0badcafe");
    const wts = await Promise.all(ids.map((taskId) => ensureWorktree(ws, { taskId, agent: "a1" })));
    expect(new Set(wts.map((w) => w.path)).size).toBe(3);
    const locks = (await listWorktrees(ws)).filter((w) => w.locked).map((w) => [w.branch, w.locked]);
    expect(locks.sort()).toEqual(wts.map((w, i) => [w.branch, `tinytown task ${ids[i]}`]).sort());
  });

  test("an unrecorded branch of that name holding commits is someone else's work: not taken over", async () => {
    const r = repo();
    const ws = await r.workspace();
    const [id] = taskIds(1);
    r.git("branch", `tt/a1/${id!.slice(0, 8)}`);
    r.git("checkout", "--quiet", `tt/a1/${id!.slice(0, 8)}`);
    r.commit("someone's work", { "x.txt": "x\n" });
    r.git("checkout", "--quiet", "main");
    const wt = await ensureWorktree(ws, { taskId: id!, agent: "a1" });
    expect(wt.branch).toBe(`tt/a1/${id!.slice(0, 13)}`);
  });

  test("an unrecorded branch of that name behind the base holds nothing: it restarts from the base", async () => {
    const r = repo();
    const ws = await r.workspace();
    const [id] = taskIds(1);
    r.git("branch", `tt/a1/${id!.slice(0, 8)}`);
    const head = r.commit("main moves on", { "later.txt": "x\n" });
    const wt = await ensureWorktree(ws, { taskId: id!, agent: "a1" });
    expect(wt.branch).toBe(`tt/a1/${id!.slice(0, 8)}`);
    expect(r.git("-C", wt.path, "rev-parse", "HEAD").trim()).toBe(head);
  });

  test("a worktree whose agent switched branches is refused, not replaced by a second one", async () => {
    const r = repo();
    const ws = await r.workspace();
    const [id] = taskIds(1);
    const wt = await ensureWorktree(ws, { taskId: id!, agent: "a1" });
    r.git("-C", wt.path, "checkout", "--quiet", "-b", "agent-side-branch");
    await rejectsWith(
      ensureWorktree(ws, { taskId: id!, agent: "a1" }),
      "INVALID_STATE",
      /is on agent-side-branch, not on tt\/a1\//,
    );
    expect((await listWorktrees(ws)).length).toBe(2);
  });

  test("a recorded branch that is gone (and no remote) is NOT_FOUND, naming the fix", async () => {
    const r = repo();
    const ws = await r.workspace();
    const [id] = taskIds(1);
    await rejectsWith(
      ensureWorktree(ws, { taskId: id!, agent: "a1", branch: `tt/a1/${id!.slice(0, 8)}` }),
      "NOT_FOUND",
      /not in .*set workspace.remote/,
    );
  });

  test("agent names git refuses inside a ref are rewritten the same way every time", async () => {
    const r = repo();
    const ws = await r.workspace();
    const [id] = taskIds(1);
    const wt = await ensureWorktree(ws, { taskId: id!, agent: "v1..2.lock" });
    expect(wt.branch).toBe(`tt/v1-2-lock/${id!.slice(0, 8)}`);
  });
});

describe("setup", () => {
  test("copies .env from the main checkout (never committed, never overwritten) and runs commands in the worktree", async () => {
    const r = repo({ ".gitignore": "node_modules/\n" });
    writeFiles(r.dir, { ".env": "SECRET=1\n", "config/local.json": "{}\n" });
    const ws = await r.workspace({
      copy: [".env", "config/local.json"],
      setup: [
        [
          process.execPath,
          "-e",
          "require('fs').writeFileSync('setup-ran.txt', process.cwd()); console.log('installed 3 packages')",
        ],
        [process.execPath, "-e", "console.error('a warning')"],
      ],
    });
    const [id] = taskIds(1);
    const lines: string[] = [];
    const wt = await ensureWorktree(ws, { taskId: id!, agent: "a1", onOutput: (l, s) => lines.push(`${s}: ${l}`) });
    expect(readFileSync(join(wt.path, ".env"), "utf8")).toBe("SECRET=1\n");
    expect(readFileSync(join(wt.path, "setup-ran.txt"), "utf8")).toBe(wt.path);
    expect(lines).toContain("out: installed 3 packages");
    expect(lines).toContain("err: a warning");
    // The agent changes .env; a follow-up's setup keeps its version.
    writeFileSync(join(wt.path, ".env"), "SECRET=changed\n");
    await ensureWorktree(ws, { taskId: id!, agent: "a1", branch: wt.branch });
    expect(readFileSync(join(wt.path, ".env"), "utf8")).toBe("SECRET=changed\n");
    const c = await captureChanges(ws, { ...wt, taskId: id!, agent: "a1", title: "t" });
    expect(c.files.map((f) => f.path)).toEqual(["setup-ran.txt"]);
  });

  test("a failing setup command is a clear error with its exit code and last lines", async () => {
    const r = repo();
    const ws = await r.workspace({
      setup: [
        [process.execPath, "-e", "console.log('resolving'); console.error('ERR_PNPM_NO_LOCKFILE'); process.exit(3)"],
      ],
    });
    const [id] = taskIds(1);
    const err = await rejectsWith(
      ensureWorktree(ws, { taskId: id!, agent: "a1" }),
      "INVALID_STATE",
      /failed \(exit 3\)/,
    );
    expect(err.message).toContain("ERR_PNPM_NO_LOCKFILE");
    expect(err.details).toMatchObject({ reason: "setup_failed" });
  });

  test("a setup command that is not installed, or runs too long, fails with the reason", async () => {
    const r = repo();
    const [id, id2] = taskIds(2);
    const missing = await r.workspace({ setup: [["tt-no-such-installer", "install"]] });
    await rejectsWith(
      ensureWorktree(missing, { taskId: id!, agent: "a1" }),
      "INVALID_STATE",
      /not on the runner's PATH/,
    );
    const slow = await r.workspace({
      setup: [[process.execPath, "-e", "setTimeout(() => {}, 60000)"]],
      setupTimeoutSec: 1,
    });
    await rejectsWith(ensureWorktree(slow, { taskId: id2!, agent: "a1" }), "INVALID_STATE", /timed out after 1 s/);
  });

  test("setup never writes through a symlink an agent left in the worktree", async () => {
    const r = repo();
    writeFiles(r.dir, { "secrets/.env": "S=1\n" });
    const ws = await r.workspace({ copy: ["secrets/.env"] });
    const [id] = taskIds(1);
    const wt = await ensureWorktree(ws, { taskId: id!, agent: "a1", setup: false });
    const outside = mkdtempSync(join(tmpdir(), "tt-outside-"));
    try {
      symlinkSync(outside, join(wt.path, "secrets"));
      await rejectsWith(
        ensureWorktree(ws, { taskId: id!, agent: "a1", branch: wt.branch }),
        "INVALID_STATE",
        /outside the worktree/,
      );
      expect(readdirSync(outside)).toEqual([]);
      // A dangling link is refused the same way.
      rmSync(join(wt.path, "secrets"));
      symlinkSync(join(outside, "gone"), join(wt.path, "secrets"));
      await rejectsWith(
        ensureWorktree(ws, { taskId: id!, agent: "a1", branch: wt.branch }),
        "INVALID_STATE",
        /outside the worktree/,
      );
      expect(readdirSync(outside)).toEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test("setup commands get the agents' base environment plus passEnv, not the runner's secrets", async () => {
    const r = repo();
    process.env.TT_TEST_RUNNER_SECRET = "runner-only";
    process.env.TT_TEST_PASSED = "passed";
    try {
      const ws = await r.workspace({
        passEnv: ["TT_TEST_PASSED"],
        setup: [[process.execPath, "-e", "require('fs').writeFileSync('env.json', JSON.stringify(process.env))"]],
      });
      const [id] = taskIds(1);
      const wt = await ensureWorktree(ws, { taskId: id!, agent: "a1" });
      const env = JSON.parse(readFileSync(join(wt.path, "env.json"), "utf8")) as Record<string, string>;
      expect(env.TT_TEST_PASSED).toBe("passed");
      expect(env.TT_TEST_RUNNER_SECRET).toBeUndefined();
      expect(env.PATH).toBeTruthy();
    } finally {
      delete process.env.TT_TEST_RUNNER_SECRET;
      delete process.env.TT_TEST_PASSED;
    }
  });
});

describe("discard and prune", () => {
  test("removeWorktree drops the worktree (uncommitted work and all) and the branch; a repeat is fine", async () => {
    const r = repo();
    const ws = await r.workspace();
    const [id] = taskIds(1);
    const wt = await ensureWorktree(ws, { taskId: id!, agent: "a1" });
    writeFileSync(join(wt.path, "wip.txt"), "x\n");
    await removeWorktree(ws, { branch: wt.branch });
    expect(existsSync(wt.path)).toBe(false);
    expect(branches(r)).toEqual(["main"]);
    expect((await listWorktrees(ws)).map((w) => w.path)).toEqual([r.dir]);
    await removeWorktree(ws, { branch: wt.branch });
  });

  test("pruneWorktrees removes what the predicate does not keep, unknown directories and orphan task branches", async () => {
    const r = repo();
    const ws = await r.workspace();
    const [keep, drop, orphan] = taskIds(3);
    const wKeep = await ensureWorktree(ws, { taskId: keep!, agent: "a1" });
    const wDrop = await ensureWorktree(ws, { taskId: drop!, agent: "a2" });
    r.git("branch", `tt/a3/${orphan!.slice(0, 8)}`);
    writeFiles(ws.worktreesDir, { "stray/file.txt": "left by a crash\n" });
    r.git("branch", "feature/mine");
    // The user's own worktree elsewhere is never touched.
    const own = `${r.dir}-own`;
    r.git("worktree", "add", "--quiet", own, "feature/mine");
    cleanupDirs.push(own);
    const seen: (string | null)[] = [];
    const keepOnly = (e: LeftoverWorktree) => {
      seen.push(e.taskRef);
      return e.taskRef === keep || e.taskRef === keep!.slice(0, 8);
    };
    // Without `branches`, idle task branches stay (another town may use the repository too).
    expect((await pruneWorktrees(ws, keepOnly)).map((e) => e.branch ?? e.path).sort()).toEqual(
      [wDrop.branch, join(ws.worktreesDir, "stray")].sort(),
    );
    expect(branches(r)).toContain(`tt/a3/${orphan!.slice(0, 8)}`);
    const removed = await pruneWorktrees(ws, keepOnly, { branches: true });
    expect(seen).toEqual(expect.arrayContaining([keep, drop, orphan!.slice(0, 8)]));
    expect(removed.map((e) => e.branch)).toEqual([`tt/a3/${orphan!.slice(0, 8)}`]);
    expect(existsSync(wKeep.path)).toBe(true);
    expect(existsSync(wDrop.path)).toBe(false);
    expect(branches(r)).toEqual(["feature/mine", "main", wKeep.branch].sort());
    expect(existsSync(join(own, "README.md"))).toBe(true);
  });

  test("a worktree directory deleted by hand is recreated from its branch by the next attempt", async () => {
    const r = repo();
    const ws = await r.workspace();
    const [id] = taskIds(1);
    const wt = await ensureWorktree(ws, { taskId: id!, agent: "a1" });
    writeFileSync(join(wt.path, "f.txt"), "kept in a commit\n");
    await captureChanges(ws, { ...wt, taskId: id!, agent: "a1", title: "t" });
    r.git("worktree", "unlock", wt.path);
    rmSync(wt.path, { recursive: true, force: true });
    const again = await ensureWorktree(ws, { taskId: id!, agent: "a1", branch: wt.branch });
    expect(again.created).toBe(true);
    expect(readFileSync(join(again.path, "f.txt"), "utf8")).toBe("kept in a commit\n");
  });
});
