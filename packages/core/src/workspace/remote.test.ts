/**
 * Several runners on several machines: two clones share a bare repository as `workspace.remote`. A task branch
 * pushed after a run on one machine is fetched to continue (or merge) the task on the other; pushes never
 * force, and a branch that diverged is reported, not overwritten.
 */
import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { parseConfig } from "../town/config";
import { rejectsWith, sh, taskIds, tempBareRepo, tempRepo } from "../testing/git";
import { captureChanges } from "./capture";
import { mergeBranch } from "./merge";
import { fetchBranch, pushBranch, deleteRemoteBranch } from "./remote";
import { resolveWorkspace, type Workspace } from "./repo";
import { ensureWorktree } from "./worktree";

const cleanup: (() => void)[] = [];
afterEach(() => {
  while (cleanup.length) cleanup.pop()!();
});

/** Machine A (the original repository) and machine B (a clone), both using the same bare remote. */
async function twoMachines() {
  const remote = tempBareRepo();
  const a = tempRepo({ "shared.txt": "base\n" });
  a.git("push", "--quiet", remote.dir, "main");
  const bDir = realpathSync(join(a.dir, "..")) + `/tt-clone-${Date.now()}-${Math.random().toString(16).slice(2)}`;
  sh(a.dir, "clone", "--quiet", remote.dir, bDir);
  writeFileSync(join(bDir, ".git", "info", "exclude"), ".tt/\n");
  cleanup.push(remote.remove, a.remove, () => rmSync(bDir, { recursive: true, force: true }));
  const wsA = await a.workspace({ remote: remote.dir });
  const wsB = (await resolveWorkspace({
    dir: bDir,
    config: parseConfig({ name: "t", workspace: { remote: remote.dir } }),
  }))!;
  return { remote, a, bDir, wsA, wsB, b: (...args: string[]) => sh(bDir, ...args) };
}

async function run(
  ws: Workspace,
  id: string,
  agent: string,
  branch: string | null,
  files: Record<string, string>,
  attempt = 1,
) {
  const wt = await ensureWorktree(ws, { taskId: id, agent, branch });
  for (const [p, c] of Object.entries(files)) writeFileSync(join(wt.path, p), c);
  const c = await captureChanges(ws, { ...wt, taskId: id, agent, title: "remote task", attempt });
  return { wt, c };
}

describe("task branches through a shared remote", () => {
  test("pushed on A, continued on B (its diff has both attempts), fetched back on A and merged there", async () => {
    const m = await twoMachines();
    const [id] = taskIds(1);
    const first = await run(m.wsA, id!, "a1", null, { "one.txt": "from A\n" });
    await pushBranch(m.wsA, first.wt.branch);
    expect(sh(m.remote.dir, "rev-parse", first.wt.branch).trim()).toBe(first.c.head);

    const second = await run(m.wsB, id!, "a1", first.wt.branch, { "two.txt": "from B\n" }, 2);
    expect(second.wt).toMatchObject({ branch: first.wt.branch, created: true });
    expect(readFileSync(join(second.wt.path, "one.txt"), "utf8")).toBe("from A\n");
    expect(second.c.files.map((f) => f.path)).toEqual(["one.txt", "two.txt"]);
    expect(second.c.mergeBase).toBe(first.c.mergeBase);
    await pushBranch(m.wsB, second.wt.branch);

    // The next attempt on A starts from B's commits: its worktree moved with its branch.
    const third = await ensureWorktree(m.wsA, { taskId: id!, agent: "a1", branch: first.wt.branch });
    expect(third).toEqual({ ...first.wt, created: false });
    expect(readFileSync(join(first.wt.path, "two.txt"), "utf8")).toBe("from B\n");
    expect(await fetchBranch(m.wsA, first.wt.branch)).toBe("up_to_date");
    const merged = await mergeBranch(m.wsA, {
      branch: first.wt.branch,
      taskId: id!,
      title: "t",
      agent: "a1",
      by: "bob",
    });
    expect(m.a.git("show", `${merged.commit}:two.txt`)).toBe("from B\n");

    await deleteRemoteBranch(m.wsA, first.wt.branch);
    await deleteRemoteBranch(m.wsA, first.wt.branch);
    expect(await fetchBranch(m.wsB, first.wt.branch)).toBe("absent");
  });

  test("a push that would drop the other machine's commits is refused; a diverged branch is reported, not moved", async () => {
    const m = await twoMachines();
    const [id] = taskIds(1);
    const first = await run(m.wsA, id!, "a1", null, { "one.txt": "A1\n" });
    await pushBranch(m.wsA, first.wt.branch);
    const onB = await run(m.wsB, id!, "a1", first.wt.branch, { "b.txt": "B\n" }, 2);
    await pushBranch(m.wsB, onB.wt.branch);
    // Meanwhile someone commits on A's copy of the branch (e.g. a run that was thought lost).
    writeFileSync(join(first.wt.path, "a2.txt"), "A2\n");
    m.a.git("-C", first.wt.path, "add", "a2.txt");
    m.a.git("-C", first.wt.path, "commit", "--quiet", "-m", "late commit on A");
    const headA = m.a.git("rev-parse", first.wt.branch).trim();
    await rejectsWith(
      pushBranch(m.wsA, first.wt.branch),
      "CONFLICT",
      /has commits on .* that this repository does not/,
    );
    expect(sh(m.remote.dir, "rev-parse", first.wt.branch).trim()).toBe(onB.c.head);
    await rejectsWith(fetchBranch(m.wsA, first.wt.branch), "CONFLICT", /diverged/);
    await rejectsWith(
      ensureWorktree(m.wsA, { taskId: id!, agent: "a1", branch: first.wt.branch }),
      "CONFLICT",
      /diverged/,
    );
    expect(m.a.git("rev-parse", first.wt.branch).trim()).toBe(headA);
    expect(existsSync(join(first.wt.path, "b.txt"))).toBe(false);
  });

  test("a local branch ahead of the remote stays; without a configured remote, push and fetch say how to set one", async () => {
    const m = await twoMachines();
    const [id] = taskIds(1);
    const first = await run(m.wsA, id!, "a1", null, { "one.txt": "1\n" });
    await pushBranch(m.wsA, first.wt.branch);
    await run(m.wsA, id!, "a1", first.wt.branch, { "more.txt": "2\n" }, 2);
    expect(await fetchBranch(m.wsA, first.wt.branch)).toBe("ahead");
    const noRemote = await m.a.workspace();
    await rejectsWith(pushBranch(noRemote, first.wt.branch), "VALIDATION", /set workspace.remote/);
    await rejectsWith(fetchBranch(noRemote, first.wt.branch), "VALIDATION", /set workspace.remote/);
  });
});
