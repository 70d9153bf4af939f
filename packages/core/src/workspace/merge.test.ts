/**
 * Merging task branches on real git: merge commit and squash, the dry-run conflict check, the second of two
 * conflicting merges refused with the files named, a checked-out base (clean: updated; dirty: refused), a
 * base that moves during the merge (the compare-and-swap refuses), and never a half-merged state.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { rejectsWith, taskIds, tempRepo, type TestRepo } from "../testing/git";
import { captureChanges } from "./capture";
import { checkMerge, mergeBranch } from "./merge";
import type { Workspace } from "./repo";
import { ensureWorktree } from "./worktree";

let repos: TestRepo[] = [];
afterEach(() => {
  for (const r of repos) r.remove();
  repos = [];
});

/** A repository whose base `main` is not checked out anywhere (the main checkout is on `home`). */
function detachedBaseRepo(files: Record<string, string> = { "shared.txt": "one\ntwo\nthree\n" }) {
  const r = tempRepo(files);
  repos.push(r);
  r.git("checkout", "--quiet", "-b", "home");
  return r;
}

/** A task that wrote `files` in its worktree, captured. */
async function taskWith(ws: Workspace, agent: string, files: Record<string, string>, title = `task of ${agent}`) {
  const [id] = taskIds(1);
  const wt = await ensureWorktree(ws, { taskId: id!, agent });
  for (const [p, c] of Object.entries(files)) writeFileSync(join(wt.path, p), c);
  const c = await captureChanges(ws, { ...wt, taskId: id!, agent, title });
  return { id: id!, ...wt, head: c.head, title };
}

const show = (r: TestRepo, rev: string, path: string) => r.git("show", `${rev}:${path}`);
const mergeInput = (t: { id: string; branch: string; title: string }, agent: string) => ({
  branch: t.branch,
  taskId: t.id,
  title: t.title,
  agent,
  by: "alice",
});

describe("mergeBranch into a base nobody has checked out", () => {
  test("merge: a merge commit (base + branch as parents) by the approver, moved with a compare-and-swap", async () => {
    const r = detachedBaseRepo();
    const ws = await r.workspace({ base: "main", authorEmailDomain: "example.com" });
    const before = r.git("rev-parse", "main").trim();
    const t = await taskWith(ws, "a1", { "new.txt": "hello\n" }, "Add a greeting");
    const res = await mergeBranch(ws, mergeInput(t, "a1"));
    expect(res).toMatchObject({ status: "merged", baseBefore: before, strategy: "merge", checkout: null });
    expect(r.git("rev-parse", "main").trim()).toBe(res.commit);
    expect(r.git("log", "-1", "--format=%P", "main").trim()).toBe(`${before} ${t.head}`);
    expect(r.git("log", "-1", "--format=%an <%ae>|%s|%(trailers:key=Tinytown-Task,valueonly)", "main")).toBe(
      `alice <alice@example.com>|Merge ${t.branch}: Add a greeting|${t.id}\n\n`,
    );
    expect(show(r, "main", "new.txt")).toBe("hello\n");
    expect(r.git("reflog", "-1", "--format=%gs", "main")).toContain("tinytown: merge into main");
  });

  test("squash: one commit on the base, authored by the agent, listing the branch's commits", async () => {
    const r = detachedBaseRepo();
    const ws = await r.workspace({ base: "main", merge: "squash" });
    const before = r.git("rev-parse", "main").trim();
    const t = await taskWith(ws, "a1", { "new.txt": "hello\n" }, "Add a greeting");
    const res = await mergeBranch(ws, mergeInput(t, "a1"));
    expect(res.strategy).toBe("squash");
    expect(r.git("log", "-1", "--format=%P|%an|%cn|%s", "main")).toBe(`${before}|a1|alice|Add a greeting\n`);
    expect(r.git("log", "-1", "--format=%b", "main")).toContain(`Squashed from ${t.branch}:\n* Add a greeting`);
    expect(r.git("diff", before, "main")).toBe(r.git("diff", before, t.head));
    // A per-merge strategy overrides the town's.
    const t2 = await taskWith(ws, "a2", { "two.txt": "2\n" });
    const res2 = await mergeBranch(ws, { ...mergeInput(t2, "a2"), strategy: "merge" });
    expect(r.git("log", "-1", "--format=%P", "main").trim().split(" ")).toEqual([res.commit, t2.head]);
    expect(res2.strategy).toBe("merge");
  });

  test("two tasks edit the same lines: the first merges, the second is refused naming the file; base untouched", async () => {
    const r = detachedBaseRepo();
    const ws = await r.workspace({ base: "main" });
    const [t1, t2] = await Promise.all([
      taskWith(ws, "a1", { "shared.txt": "one\nTWO by a1\nthree\n", "a1.txt": "a1\n" }),
      taskWith(ws, "a2", { "shared.txt": "one\nTWO by a2\nthree\n", "a2.txt": "a2\n" }),
    ]);
    expect((await checkMerge(ws, { branch: t2.branch })).clean).toBe(true);
    const first = await mergeBranch(ws, mergeInput(t1, "a1"));
    const check = await checkMerge(ws, { branch: t2.branch });
    expect(check).toMatchObject({
      clean: false,
      conflicts: ["shared.txt"],
      baseHead: first.commit,
      alreadyMerged: false,
    });
    const objects = r.git("count-objects", "-v");
    const err = await rejectsWith(
      mergeBranch(ws, mergeInput(t2, "a2")),
      "CONFLICT",
      /conflicts with main in 1 file\(s\): shared\.txt/,
    );
    expect(err.details).toMatchObject({ reason: "conflict", conflicts: ["shared.txt"], baseHead: first.commit });
    expect(r.git("rev-parse", "main").trim()).toBe(first.commit);
    expect(r.git("rev-parse", t2.branch).trim()).toBe(t2.head);
    expect(r.git("-C", t2.path, "status", "--porcelain")).toBe("");
    expect(r.git("status", "--porcelain")).toBe("");
    expect(r.git("count-objects", "-v")).toBe(objects);
  });

  test("a merge recomputed against a base that moved meanwhile; with expectedBaseHead the compare-and-swap refuses", async () => {
    const r = detachedBaseRepo();
    const ws = await r.workspace({ base: "main" });
    const t = await taskWith(ws, "a1", { "mine.txt": "m\n" });
    const seen = (await checkMerge(ws, { branch: t.branch })).baseHead;
    // Someone else moves main after the check.
    r.git("checkout", "--quiet", "main");
    const moved = r.commit("someone else", { "theirs.txt": "t\n" });
    r.git("checkout", "--quiet", "home");
    await rejectsWith(
      mergeBranch(ws, { ...mergeInput(t, "a1"), expectedBaseHead: seen }),
      "CONFLICT",
      /main moved during the merge .*nothing was merged/,
    );
    expect(r.git("rev-parse", "main").trim()).toBe(moved);
    // Without a seen base, the merge is made on top of the current one.
    const res = await mergeBranch(ws, mergeInput(t, "a1"));
    expect(res.baseBefore).toBe(moved);
    expect(show(r, "main", "theirs.txt")).toBe("t\n");
    expect(show(r, "main", "mine.txt")).toBe("m\n");
  });

  test("concurrent merges of independent tasks both land (each retried on the base the other moved)", async () => {
    const r = detachedBaseRepo();
    const ws = await r.workspace({ base: "main" });
    const ts = await Promise.all(["a1", "a2", "a3"].map((a) => taskWith(ws, a, { [`${a}.txt`]: `${a}\n` })));
    await Promise.all(ts.map((t, i) => mergeBranch(ws, mergeInput(t, `a${i + 1}`))));
    for (const a of ["a1", "a2", "a3"]) expect(show(r, "main", `${a}.txt`)).toBe(`${a}\n`);
    expect(r.git("rev-list", "--count", "--merges", "main").trim()).toBe("3");
  });

  test("merging again what is already in the base moves nothing", async () => {
    const r = detachedBaseRepo();
    const ws = await r.workspace({ base: "main", merge: "squash" });
    const t = await taskWith(ws, "a1", { "x.txt": "x\n" });
    const first = await mergeBranch(ws, mergeInput(t, "a1"));
    const again = await mergeBranch(ws, mergeInput(t, "a1"));
    expect(again).toMatchObject({ status: "already_merged", commit: first.commit });
    expect(r.git("rev-parse", "main").trim()).toBe(first.commit);
  });
});

describe("mergeBranch into a base checked out in the user's checkout", () => {
  test("a clean checkout is fast-forwarded: branch, index and files move together", async () => {
    const r = tempRepo({ "shared.txt": "one\n" });
    repos.push(r);
    writeFileSync(join(r.dir, "untracked-notes.txt"), "mine\n");
    const ws = await r.workspace();
    const t = await taskWith(ws, "a1", { "feature.txt": "f\n" });
    const res = await mergeBranch(ws, mergeInput(t, "a1"));
    expect(res).toMatchObject({ status: "merged", checkout: r.dir });
    expect(r.git("rev-parse", "HEAD").trim()).toBe(res.commit);
    expect(readFileSync(join(r.dir, "feature.txt"), "utf8")).toBe("f\n");
    expect(r.git("status", "--porcelain")).toBe("?? untracked-notes.txt\n");
  });

  test("a dirty checkout is refused, naming it and its changed files; nothing moves", async () => {
    const r = tempRepo({ "shared.txt": "one\n" });
    repos.push(r);
    const ws = await r.workspace();
    const t = await taskWith(ws, "a1", { "feature.txt": "f\n" });
    writeFileSync(join(r.dir, "shared.txt"), "my unsaved work\n");
    const before = r.git("rev-parse", "HEAD").trim();
    const err = await rejectsWith(
      mergeBranch(ws, mergeInput(t, "a1")),
      "INVALID_STATE",
      /main is checked out in .*, which has uncommitted changes \(shared\.txt\): commit or stash them/,
    );
    expect(err.details).toMatchObject({ reason: "dirty_checkout", checkout: r.dir, files: ["shared.txt"] });
    expect(r.git("rev-parse", "HEAD").trim()).toBe(before);
    expect(readFileSync(join(r.dir, "shared.txt"), "utf8")).toBe("my unsaved work\n");
    // Staged changes count too; after a commit, the merge goes through.
    r.git("add", "shared.txt");
    await rejectsWith(mergeBranch(ws, mergeInput(t, "a1")), "INVALID_STATE", /uncommitted changes/);
    r.git("commit", "--quiet", "-m", "user's work");
    const res = await mergeBranch(ws, mergeInput(t, "a1"));
    expect(readFileSync(join(r.dir, "feature.txt"), "utf8")).toBe("f\n");
    expect(readFileSync(join(r.dir, "shared.txt"), "utf8")).toBe("my unsaved work\n");
    expect(res.status).toBe("merged");
  });

  test("an untracked file the merge would overwrite: refused by git, nothing moves", async () => {
    const r = tempRepo({ "shared.txt": "one\n" });
    repos.push(r);
    const ws = await r.workspace();
    const t = await taskWith(ws, "a1", { "feature.txt": "theirs\n" });
    writeFileSync(join(r.dir, "feature.txt"), "my untracked draft\n");
    const before = r.git("rev-parse", "HEAD").trim();
    await rejectsWith(mergeBranch(ws, mergeInput(t, "a1")), "INVALID_STATE", /git refused to update it: .*untracked/s);
    expect(r.git("rev-parse", "HEAD").trim()).toBe(before);
    expect(readFileSync(join(r.dir, "feature.txt"), "utf8")).toBe("my untracked draft\n");
  });
});
