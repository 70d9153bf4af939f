/**
 * Capture on real git: what the agent left is committed on its branch (author, trailer), and the recorded diff
 * is exactly `git diff <merge-base> <head>` — stats, file list and unified text — or a marked cut of it.
 */
import { chmodSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { rejectsWith, shBuf, taskIds, tempRepo, writeFiles, type TestRepo } from "../testing/git";
import { capDiff, captureChanges } from "./capture";
import { ensureWorktree } from "./worktree";
import type { Workspace } from "./repo";

let repos: TestRepo[] = [];
afterEach(() => {
  for (const r of repos) r.remove();
  repos = [];
});
function repo(files?: Record<string, string | Buffer>) {
  const r = tempRepo(files);
  repos.push(r);
  return r;
}

async function started(r: TestRepo, ws: Workspace, agent = "a1") {
  const [id] = taskIds(1);
  const wt = await ensureWorktree(ws, { taskId: id!, agent });
  return {
    id: id!,
    wt,
    capture: (title = "Add the feature") => captureChanges(ws, { ...wt, taskId: id!, agent, title, attempt: 1 }),
  };
}

/**
 * What plain git says about the branch: the reference every capture is compared with (paths unquoted, as
 * the workspace module asks git for them so that a diff viewer shows `ü`, not `\303\274`).
 */
const plainDiff = (r: TestRepo, from: string, to: string) =>
  shBuf(r.dir, "-c", "core.quotePath=false", "diff", from, to).toString("utf8");

describe("captureChanges", () => {
  test("commits leftovers as the agent with a Tinytown-Task trailer; the diff is exactly git's", async () => {
    const r = repo({ "src/app.ts": "export const a = 1;\n", "old.txt": "old\n", "gone.txt": "bye\n" });
    const ws = await r.workspace({ authorEmailDomain: "agents.example.com" });
    const { id, wt, capture } = await started(r, ws);
    writeFiles(wt.path, {
      "src/app.ts": "export const a = 2;\nexport const b = 3;\n",
      "src/new file ü.ts": "new\n",
      "logo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 0, 255]),
    });
    unlinkSync(join(wt.path, "gone.txt"));
    r.git("-C", wt.path, "mv", "old.txt", "renamed.txt");
    const c = await capture();

    expect(c.commit).toBe(c.head);
    expect(r.git("-C", wt.path, "log", "-1", "--format=%an <%ae>|%cn|%s|%(trailers:key=Tinytown-Task,valueonly)")).toBe(
      `a1 <a1@agents.example.com>|a1|Add the feature|${id}\n\n`,
    );
    expect(r.git("-C", wt.path, "status", "--porcelain")).toBe("");
    expect(c.mergeBase).toBe(r.git("rev-parse", "main").trim());
    expect(c.diff).toBe(plainDiff(r, c.mergeBase, c.head));
    expect(c.diffTruncated).toBe(false);
    expect(c.files).toEqual([
      { path: "gone.txt", oldPath: null, status: "deleted", additions: 0, deletions: 1, binary: false },
      { path: "logo.png", oldPath: null, status: "added", additions: null, deletions: null, binary: true },
      { path: "renamed.txt", oldPath: "old.txt", status: "renamed", additions: 0, deletions: 0, binary: false },
      { path: "src/app.ts", oldPath: null, status: "modified", additions: 2, deletions: 1, binary: false },
      { path: "src/new file ü.ts", oldPath: null, status: "added", additions: 1, deletions: 0, binary: false },
    ]);
    expect(c.stats).toEqual({ files: 5, additions: 3, deletions: 2, binary: 1 });
  });

  test("commits the agent made itself are part of the diff; nothing left to commit is fine", async () => {
    const r = repo();
    const ws = await r.workspace();
    const { wt, capture } = await started(r, ws);
    writeFiles(wt.path, { "a.txt": "agent committed this\n" });
    r.git("-C", wt.path, "add", "a.txt");
    r.git("-C", wt.path, "commit", "--quiet", "-m", "agent's own commit");
    const c = await capture();
    expect(c.commit).toBeNull();
    expect(c.files.map((f) => f.path)).toEqual(["a.txt"]);
    expect(c.diff).toBe(plainDiff(r, c.mergeBase, c.head));
  });

  test("no change at all: empty stats and diff, no commit", async () => {
    const r = repo();
    const ws = await r.workspace();
    const { capture } = await started(r, ws);
    const c = await capture();
    expect(c).toMatchObject({
      commit: null,
      stats: { files: 0, additions: 0, deletions: 0, binary: 0 },
      files: [],
      diff: "",
    });
  });

  test("a follow-up attempt continues the branch: its diff includes both attempts, against the same merge base", async () => {
    const r = repo({ "a.txt": "1\n" });
    const ws = await r.workspace();
    const { id, wt, capture } = await started(r, ws);
    writeFiles(wt.path, { "a.txt": "1\nattempt 1\n" });
    const first = await capture();
    r.commit("meanwhile on main", { "other.txt": "main moved\n" });
    const again = await ensureWorktree(ws, { taskId: id, agent: "a1", branch: wt.branch });
    writeFiles(again.path, { "b.txt": "attempt 2\n" });
    const second = await captureChanges(ws, { ...again, taskId: id, agent: "a1", title: "t", attempt: 2 });
    expect(second.mergeBase).toBe(first.mergeBase);
    expect(second.baseHead).not.toBe(first.baseHead);
    expect(second.files.map((f) => f.path)).toEqual(["a.txt", "b.txt"]);
    expect(second.diff).toBe(plainDiff(r, first.mergeBase, second.head));
    expect(r.git("-C", wt.path, "rev-list", "--count", `${first.mergeBase}..HEAD`).trim()).toBe("2");
  });

  test("a diff over diffMaxBytes is cut at a file boundary and marked; the stats and file list stay complete", async () => {
    const r = repo();
    const ws = await r.workspace({ diffMaxBytes: 4096 });
    const { wt, capture } = await started(r, ws);
    const files: Record<string, string> = {};
    for (let i = 0; i < 20; i++) files[`f${String(i).padStart(2, "0")}.txt`] = `${"line\n".repeat(100)}`;
    writeFiles(wt.path, files);
    const c = await capture();
    const full = plainDiff(r, c.mergeBase, c.head);
    expect(c.diffTruncated).toBe(true);
    expect(Buffer.byteLength(c.diff)).toBeLessThanOrEqual(4096);
    expect(full.startsWith(c.diff)).toBe(true);
    expect(full.slice(c.diff.length).startsWith("diff --git ")).toBe(true);
    expect(c.stats).toEqual({ files: 20, additions: 2000, deletions: 0, binary: 0 });
    expect(c.files).toHaveLength(20);
  });

  test("capDiff cuts inside one huge file at a hunk boundary, else a line", () => {
    const one = Buffer.from(`diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n@@ -9 +9 @@\n-c\n+d\n`);
    expect(capDiff(one, one.length)).toEqual({ text: one.toString(), truncated: false });
    expect(capDiff(one, one.length - 2).text).toBe(`diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n`);
  });

  test("hostile repository config (signing, hooks, no prefixes, colours, external diff) changes nothing", async () => {
    const r = repo({ "a.txt": "one\ntwo\nthree\nfour\nfive\n" });
    // Hooks that refuse every commit and every ref update (--no-verify skips only the first).
    for (const name of ["pre-commit", "reference-transaction"]) {
      const hook = join(r.dir, ".git", "hooks", name);
      writeFileSync(hook, "#!/bin/sh\necho hooked >&2\nexit 1\n");
      chmodSync(hook, 0o755);
    }
    for (const [k, v] of [
      ["commit.gpgSign", "true"],
      ["diff.noprefix", "true"],
      ["color.ui", "always"],
      ["diff.external", "/bin/false"],
      ["core.pager", "less"],
      ["diff.renames", "false"],
      ["core.hooksPath", join(r.dir, ".git", "hooks")],
    ] as const)
      r.git("config", k, v);
    const ws = await r.workspace();
    const { wt, capture } = await started(r, ws);
    expect(() => r.git("-C", wt.path, "commit", "--allow-empty", "--no-verify", "-m", "x")).toThrow();
    writeFiles(wt.path, { "a.txt": "one\ntwo\nthree\nfour\nFIVE\n" });
    r.git("-C", wt.path, "mv", "a.txt", "moved.txt");
    const c = await capture();
    expect(c.commit).not.toBeNull();
    expect(c.files).toEqual([
      { path: "moved.txt", oldPath: "a.txt", status: "renamed", additions: 1, deletions: 1, binary: false },
    ]);
    expect(c.diff).toContain("diff --git a/a.txt b/moved.txt\n");
    expect(c.diff).not.toContain("\u001b[");
  });

  test("inherited GIT_DIR / GIT_WORK_TREE / GIT_INDEX_FILE do not redirect git to another repository", async () => {
    const r = repo();
    const decoy = repo({ "decoy.txt": "d\n" });
    const ws = await r.workspace();
    const { wt, capture } = await started(r, ws);
    writeFiles(wt.path, { "real.txt": "r\n" });
    const saved = { ...process.env };
    Object.assign(process.env, {
      GIT_DIR: join(decoy.dir, ".git"),
      GIT_WORK_TREE: decoy.dir,
      GIT_INDEX_FILE: join(decoy.dir, ".git", "index"),
      GIT_AUTHOR_NAME: "spoofed",
    });
    let c;
    try {
      c = await capture();
    } finally {
      for (const k of ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_AUTHOR_NAME"]) delete process.env[k];
      Object.assign(process.env, saved);
    }
    expect(c.files.map((f) => f.path)).toEqual(["real.txt"]);
    expect(r.git("-C", wt.path, "log", "-1", "--format=%an")).toBe("a1\n");
    expect(decoy.git("status", "--porcelain")).toBe("");
    expect(decoy.git("log", "--format=%s")).toBe("initial\n");
  });

  test("refuses a worktree left on another branch or in the middle of a merge, committing nothing", async () => {
    const r = repo({ "c.txt": "base\n" });
    const ws = await r.workspace();
    const { wt, capture } = await started(r, ws);
    r.git("-C", wt.path, "checkout", "--quiet", "-b", "elsewhere");
    await rejectsWith(capture(), "INVALID_STATE", /is on elsewhere, not on tt\/a1\//);
    r.git("-C", wt.path, "checkout", "--quiet", wt.branch);
    r.git("branch", "side");
    r.git("-C", wt.path, "commit", "--quiet", "--allow-empty", "-m", "x");
    writeFiles(wt.path, { "c.txt": "branch\n" });
    r.git("-C", wt.path, "commit", "--quiet", "-am", "branch edit");
    r.git("checkout", "--quiet", "side");
    r.commit("side edit", { "c.txt": "side\n" });
    r.git("checkout", "--quiet", "main");
    const head = r.git("-C", wt.path, "rev-parse", "HEAD");
    try {
      r.git("-C", wt.path, "merge", "side");
    } catch {
      /* conflicts, as intended */
    }
    await rejectsWith(capture(), "INVALID_STATE", /left a merge in progress/);
    expect(r.git("-C", wt.path, "rev-parse", "HEAD")).toBe(head);
  });

  test("the worktree is gone: NOT_FOUND", async () => {
    const r = repo();
    const ws = await r.workspace();
    const { wt, capture } = await started(r, ws);
    r.git("worktree", "unlock", wt.path);
    rmSync(wt.path, { recursive: true });
    await rejectsWith(capture(), "NOT_FOUND", /is gone/);
  });
});
