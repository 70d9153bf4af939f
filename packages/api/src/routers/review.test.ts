/**
 * The review procedures on real Redis and a real git repository: the diff a run left is readable by a viewer,
 * and each decision (request changes on a line, rebase, approve/merge with squash, discard) is made by the
 * caller, refused with a clear error when the review does not allow it, and changes nothing then.
 */
import { afterAll, describe, expect, test } from "vitest";

import {
  captureChanges,
  completeTask,
  ensureWorktree,
  getTask,
  recordChanges,
  recordMergeCheck,
  startTask,
  type Town,
} from "@tinytown/core";
import { tempRepo, testTown, writeFiles, type TestRepo } from "@tinytown/core/testing";

import { closeLiveHubs } from "../live/hub";
import { callerFor, httpCall } from "../test-utils";

const towns: Town[] = [];
const repos: TestRepo[] = [];
afterAll(async () => {
  for (const t of towns) {
    closeLiveHubs(t);
    await t.close();
  }
  for (const r of repos) r.remove();
});

/** A town with an agent, and a task whose run edited `src/app.ts` in a real worktree: completed, waiting for review. */
async function reviewed() {
  const town = await testTown();
  towns.push(town);
  const repo = tempRepo({ "src/app.ts": "export const a = 1;\n", "README.md": "# demo\n" });
  repos.push(repo);
  const ws = await repo.workspace();
  const api = callerFor(town, "alice");
  const agent = await api.agent.spawn({ name: "coder", model: "sim" });
  const task = await api.task.create({ description: "Change a", assignTo: "coder" });
  await startTask(town, { taskId: task.id, agentId: agent.id, by: "runner:r1" });
  const wt = await ensureWorktree(ws, { taskId: task.id, agent: "coder", setup: false });
  writeFiles(wt.path, { "src/app.ts": "export const a = 2;\nexport const b = 3;\n", "src/new.ts": "new\n" });
  const changes = await captureChanges(ws, { ...wt, taskId: task.id, agent: "coder", title: "Change a" });
  await recordChanges(town, { taskId: task.id, by: "runner:r1", changes });
  const done = await completeTask(town, { taskId: task.id, by: "coder" });
  return { town, api, task: done, changes };
}

describe("review router", () => {
  test("task.changes: the files, stats and exact diff of the run, the review waiting", async () => {
    const { api, task, changes } = await reviewed();
    const got = await api.task.changes({ taskId: task.id.slice(0, 8) });
    expect(got.workspace).toMatchObject({ branch: changes.branch, stats: { files: 2, additions: 3, deletions: 1 } });
    expect(got.files.map((f) => [f.path, f.status])).toEqual([
      ["src/app.ts", "modified"],
      ["src/new.ts", "added"],
    ]);
    expect(got.diff).toBe(changes.diff);
    expect(got.diff).toContain("+export const b = 3;");
    expect(got.review).toMatchObject({ status: "waiting", conflict: null });
    expect(got.comments).toEqual([]);
  });

  test("requestChanges: a line comment by the caller sends the task back to its agent", async () => {
    const { town, task } = await reviewed();
    const bob = callerFor(town, "bob");
    const after = await bob.review.requestChanges({
      taskId: task.id,
      expectedVersion: task.version,
      comments: [{ file: "src/app.ts", line: 2, text: "Name b better" }, { text: "And add a test" }],
    });
    expect(after).toMatchObject({
      state: "assigned",
      updatedBy: "bob",
      review: { status: "changes_requested", round: 1 },
    });
    const got = await bob.task.changes({ taskId: task.id });
    expect(got.comments).toMatchObject([
      { file: "src/app.ts", line: 2, text: "Name b better", by: "bob" },
      { file: null, line: null, text: "And add a test", by: "bob" },
    ]);
    const hist = (await bob.task.get({ taskId: task.id })).history.at(-1);
    expect(hist).toMatchObject({ type: "task.changes_requested", by: "bob" });
  });

  test("bad input and stale versions are refused with a clear error and change nothing", async () => {
    const { town, api, task } = await reviewed();
    const line = await httpCall(
      town,
      "mutation",
      "review.requestChanges",
      { taskId: task.id, comments: [{ line: 3, text: "where?" }] },
      "alice",
      { origin: "http://localhost" },
    );
    expect(line.status).toBe(400);
    expect(line.error?.message).toMatch(/names its file/);
    await expect(api.review.requestChanges({ taskId: task.id, comments: [] })).rejects.toThrow(/say what to change/);
    await expect(
      api.review.requestChanges({ taskId: task.id, comments: [{ file: "../etc/passwd", text: "x" }] }),
    ).rejects.toThrow(/a path in the repository/);
    await expect(api.review.approve({ taskId: task.id, expectedVersion: task.version - 1 })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect(await getTask(town, task.id)).toEqual(task);
  });

  test("merge with squash records the approval for a runner; a second decision is refused with the review's status", async () => {
    const { town, api, task } = await reviewed();
    const approved = await api.review.merge({ taskId: task.id, strategy: "squash" });
    expect(approved.review).toMatchObject({ status: "approved", strategy: "squash", by: "alice" });
    expect(approved.state).toBe("completed");
    const refused = await api.review.discard({ taskId: task.id }).catch((e: unknown) => e as Error & { code: string });
    expect(refused).toMatchObject({ code: "CONFLICT" });
    expect((refused as Error).message).toMatch(/its review is approved/);
    expect(await getTask(town, task.id)).toEqual(approved);
  });

  test("requestRebase: refused without a conflict; after one, a change request naming the conflicting files", async () => {
    const { town, api, task, changes } = await reviewed();
    await expect(api.review.requestRebase({ taskId: task.id })).rejects.toThrow(/no conflict to rebase for/);
    await recordMergeCheck(town, {
      taskId: task.id,
      by: "runner:r1",
      baseHead: changes.baseHead,
      conflicts: ["src/app.ts"],
    });
    expect((await api.task.changes({ taskId: task.id })).review?.conflict?.files).toEqual(["src/app.ts"]);
    const after = await api.review.requestRebase({ taskId: task.id });
    expect(after).toMatchObject({ state: "assigned", review: { status: "changes_requested" } });
    const [comment] = (await api.task.changes({ taskId: task.id })).comments;
    expect(comment?.text).toMatch(/latest main .* conflicts in: src\/app\.ts/);
  });

  test("discard: the review becomes discarded, by the caller", async () => {
    const { api, task } = await reviewed();
    const gone = await api.review.discard({ taskId: task.id, expectedVersion: task.version });
    expect(gone.review).toMatchObject({ status: "discarded", by: "alice" });
  });
});
