/**
 * The review of a task's changes on real Redis: every legal transition (with its event and history entry,
 * attributed), every illegal one refused without a write, and the rules that tie review to runs —
 * a completed task with changes waits, a change request is a new attempt on the same agent carrying comments.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { testTown } from "../testing";
import { expectRefusedUnchanged, expectTaskIndexesConsistent } from "../testing/inspect";
import { spawnAgent } from "../agent/agent.service";
import { killAgent } from "../agent/lifecycle";
import { lastEventId, readEvents } from "../channel/events";
import { agentQueue } from "../dispatch/dispatch";
import type { Agent } from "../agent/agent";
import type { Town } from "../town/town";
import {
  formatChangeRequest,
  REVIEW_STATUSES,
  workspaceNeeded,
  type RecordChangesInput,
  type ReviewStatus,
} from "./review";
import type { Task, TaskState } from "./task";
import { cancelTask, completeTask, createTask, failTask, getTask, startTask, taskHistory } from "./task.service";
import {
  approveTask,
  discardTask,
  getTaskChanges,
  recordChanges,
  recordMerge,
  recordMergeCheck,
  requestChanges,
} from "./task-review.service";

let town: Town;
let alpha: Agent;
beforeAll(async () => {
  town = await testTown({}, "review");
  alpha = await spawnAgent(town, { name: "alpha", model: "claude", by: "cli" });
});
afterAll(() => town.close());

const RUNNER = "runner:r1";
const oid = (c: string) => c.repeat(40);

/** What `captureChanges` returns for a run that changed `files` files. */
function captured(files = 2, head = oid("b")): RecordChangesInput["changes"] {
  const list = Array.from({ length: files }, (_, i) => ({
    path: `src/f${i}.ts`,
    oldPath: null,
    status: "modified" as const,
    additions: 3,
    deletions: 1,
    binary: false,
  }));
  return {
    branch: "tt/alpha/01234567",
    worktree: "/repo/.tt/worktrees/01234567",
    base: "main",
    baseHead: oid("a"),
    mergeBase: oid("a"),
    head,
    stats: { files, additions: 3 * files, deletions: files, binary: 0 },
    files: list,
    filesTruncated: false,
    diff: files ? "diff --git a/src/f0.ts b/src/f0.ts\n" : "",
    diffTruncated: false,
  };
}

const running = async (description = "review me") => {
  const t = await createTask(town, { description, assignTo: "alpha", by: "cli" });
  return startTask(town, { taskId: t.id, agentId: alpha.id, by: RUNNER });
};

/** A task whose run was captured and completed: waiting for review. */
async function waiting(): Promise<Task> {
  const t = await running();
  await recordChanges(town, { taskId: t.id, by: RUNNER, changes: captured() });
  return completeTask(town, { taskId: t.id, by: "alpha" });
}

/** Runs `fn` and returns its task plus the events it appended. */
async function withEvents(fn: () => Promise<Task>) {
  const from = await lastEventId(town);
  const task = await fn();
  return { task, events: await readEvents(town, { after: from }) };
}

describe("recording changes", () => {
  test("captured while running: recorded, review decided at completion (waiting)", async () => {
    const t = await running();
    const { task: rec, events } = await withEvents(() =>
      recordChanges(town, { taskId: t.id, by: RUNNER, changes: captured() }),
    );
    expect(rec).toMatchObject({ state: "running", review: null, version: t.version + 1 });
    expect(rec.workspace).toMatchObject({
      branch: "tt/alpha/01234567",
      head: oid("b"),
      attempt: 1,
      stats: { files: 2 },
    });
    expect(events).toMatchObject([
      { type: "task.changes_recorded", by: RUNNER, taskId: t.id, stats: { files: 2, additions: 6 } },
    ]);
    const done = await completeTask(town, { taskId: t.id, by: "alpha" });
    expect(done.review).toMatchObject({ status: "waiting", by: "alpha", round: 0, conflict: null });
    expect(await getTaskChanges(town, t.id)).toMatchObject({
      files: captured().files,
      diff: captured().diff,
      comments: [],
      workspace: rec.workspace,
    });
  });

  test("captured after the agent reported completion: waiting at once", async () => {
    const t = await running();
    await completeTask(town, { taskId: t.id, by: "alpha" });
    const rec = await recordChanges(town, { taskId: t.id, by: RUNNER, changes: captured() });
    expect(rec.review).toMatchObject({ status: "waiting", by: RUNNER });
  });

  test("a run that changed nothing needs no review, and no worktree", async () => {
    const t = await running();
    await recordChanges(town, { taskId: t.id, by: RUNNER, changes: captured(0) });
    const done = await completeTask(town, { taskId: t.id, by: "alpha" });
    expect(done.review).toBeNull();
    expect(workspaceNeeded(done)).toBe(false);
    // Completed but never captured (a runner died in between): keep the worktree for recovery.
    const other = await running();
    expect(workspaceNeeded(await completeTask(town, { taskId: other.id, by: "cli" }))).toBe(true);
  });

  test("a failed run's changes are recorded for a retry (no review); records are validated", async () => {
    const t = await running();
    const failed = await failTask(town, { taskId: t.id, error: "exit 1", by: "cli" });
    const rec = await recordChanges(town, { taskId: failed.id, by: RUNNER, changes: captured() });
    expect(rec).toMatchObject({ state: "failed", review: null });
    expect(workspaceNeeded(rec)).toBe(true);
    await expectRefusedUnchanged(
      town,
      () => recordChanges(town, { taskId: t.id, by: RUNNER, changes: { ...captured(), head: "HEAD" } }),
      "VALIDATION",
    );
  });
});

describe("a review round", () => {
  test("request changes → a new attempt on the same agent with the comments → waiting again → approve → merged", async () => {
    const w = await waiting();
    const req = await withEvents(() =>
      requestChanges(town, {
        taskId: w.id,
        by: "alice",
        expectedVersion: w.version,
        comments: [
          { file: "src/f0.ts", line: 12, text: "Use the existing limiter in lib/limit.ts" },
          { text: "Add a test" },
        ],
      }),
    );
    expect(req.task).toMatchObject({
      state: "assigned",
      assignedTo: alpha.id,
      completedAt: null,
      result: null,
      review: { status: "changes_requested", by: "alice", round: 1 },
      workspace: w.workspace,
    });
    expect(req.events).toMatchObject([
      {
        type: "task.changes_requested",
        by: "alice",
        from: "completed",
        to: "assigned",
        reviewFrom: "waiting",
        review: "changes_requested",
        comments: 2,
      },
    ]);
    const jobs = await agentQueue(town, alpha.id).getJobs(["waiting", "prioritized"], 0, 100);
    expect(jobs.some((j) => j.data.taskId === w.id)).toBe(true);
    const changes = await getTaskChanges(town, w.id);
    expect(changes.comments).toMatchObject([
      { file: "src/f0.ts", line: 12, text: "Use the existing limiter in lib/limit.ts", by: "alice" },
      { file: null, line: null, text: "Add a test", by: "alice" },
    ]);
    expect(
      formatChangeRequest({
        branch: w.workspace!.branch,
        base: "main",
        round: 1,
        comments: changes.comments,
        conflict: null,
      }),
    ).toBe(
      [
        "## Changes requested (review round 1)",
        "Reviewers looked at your work on branch tt/alpha/01234567 and asked for changes. Your earlier commits are in this worktree; continue from them.",
        "- alice on src/f0.ts line 12:",
        "  Use the existing limiter in lib/limit.ts",
        "- alice:",
        "  Add a test",
      ].join("\n"),
    );
    await expectTaskIndexesConsistent(town);

    // The second attempt: while it runs the review stays "changes requested"; completion with its capture → waiting.
    const run2 = await startTask(town, { taskId: w.id, agentId: alpha.id, by: RUNNER });
    expect(run2).toMatchObject({ attempts: 2, review: { status: "changes_requested" } });
    const rec2 = await recordChanges(town, { taskId: w.id, by: RUNNER, changes: captured(3, oid("c")) });
    expect(rec2.review?.status).toBe("changes_requested");
    const done2 = await completeTask(town, { taskId: w.id, by: "alpha" });
    expect(done2.review).toMatchObject({ status: "waiting", round: 1 });

    const ok = await withEvents(() => approveTask(town, { taskId: w.id, by: "bob", strategy: "squash" }));
    expect(ok.task.review).toMatchObject({ status: "approved", by: "bob", strategy: "squash" });
    expect(ok.events).toMatchObject([
      { type: "task.approved", by: "bob", reviewFrom: "waiting", review: "approved", strategy: "squash" },
    ]);
    const merged = await withEvents(() =>
      recordMerge(town, { taskId: w.id, by: RUNNER, commit: oid("d"), strategy: "squash" }),
    );
    expect(merged.task).toMatchObject({
      state: "completed",
      review: { status: "merged", mergedCommit: oid("d"), strategy: "squash" },
    });
    expect(merged.events).toMatchObject([{ type: "task.merged", by: RUNNER, commit: oid("d") }]);
    expect(workspaceNeeded(merged.task)).toBe(false);
    // A runner repeating the record after a crash changes nothing.
    expect(await recordMerge(town, { taskId: w.id, by: RUNNER, commit: oid("d"), strategy: "squash" })).toEqual(
      merged.task,
    );

    const history = await taskHistory(town, w.id);
    expect(history.map((h) => [h.type, h.by])).toEqual([
      ["task.created", "cli"],
      ["task.started", RUNNER],
      ["task.changes_recorded", RUNNER],
      ["task.completed", "alpha"],
      ["task.changes_requested", "alice"],
      ["task.started", RUNNER],
      ["task.changes_recorded", RUNNER],
      ["task.completed", "alpha"],
      ["task.approved", "bob"],
      ["task.merged", RUNNER],
    ]);
  });

  test("a conflict found by the dry run (or a refused merge) sends an approved task back to waiting, shown with its files", async () => {
    const w = await waiting();
    await approveTask(town, { taskId: w.id, by: "bob" });
    const c = await withEvents(() =>
      recordMergeCheck(town, {
        taskId: w.id,
        by: RUNNER,
        baseHead: oid("e"),
        conflicts: ["src/b.ts", "src/a.ts", "src/a.ts"],
      }),
    );
    expect(c.task.review).toMatchObject({
      status: "waiting",
      conflict: { files: ["src/a.ts", "src/b.ts"], baseHead: oid("e") },
    });
    expect(c.events).toMatchObject([
      { type: "task.merge_checked", reviewFrom: "approved", review: "waiting", conflicts: ["src/a.ts", "src/b.ts"] },
    ]);
    // The same result again writes nothing.
    const again = await withEvents(() =>
      recordMergeCheck(town, { taskId: w.id, by: RUNNER, baseHead: oid("e"), conflicts: ["src/a.ts", "src/b.ts"] }),
    );
    expect(again.events).toEqual([]);
    expect(again.task.version).toBe(c.task.version);
    // "Ask the agent to rebase": a change request from the conflict keeps the files for the prompt.
    const req = await requestChanges(town, { taskId: w.id, by: "alice", comments: [{ text: "Rebase onto main" }] });
    expect(req.review?.conflict?.files).toEqual(["src/a.ts", "src/b.ts"]);

    const w2 = await waiting();
    await approveTask(town, { taskId: w2.id, by: "bob" });
    const refused = await recordMergeCheck(town, {
      taskId: w2.id,
      by: RUNNER,
      baseHead: oid("e"),
      conflicts: [],
      error: "main is checked out in /repo, which has uncommitted changes",
    });
    expect(refused.review).toMatchObject({ status: "waiting", conflict: null, mergeError: /uncommitted changes/ });
    const clean = await recordMergeCheck(town, { taskId: w2.id, by: RUNNER, baseHead: oid("f"), conflicts: [] });
    expect(clean.review).toMatchObject({ status: "waiting", conflict: null, mergeError: null });
  });

  test("a merge refused by the conflict the dry run already showed still sends the approved task back to waiting", async () => {
    const w = await waiting();
    const conflict = { taskId: w.id, by: RUNNER, baseHead: oid("e"), conflicts: ["src/a.ts"] };
    await recordMergeCheck(town, conflict);
    // Someone merges anyway; the runner's merge meets the same conflict.
    await approveTask(town, { taskId: w.id, by: "bob" });
    const refused = await withEvents(() => recordMergeCheck(town, conflict));
    expect(refused.task.review).toMatchObject({ status: "waiting", conflict: { files: ["src/a.ts"] } });
    expect(refused.events).toMatchObject([{ type: "task.merge_checked", reviewFrom: "approved", review: "waiting" }]);
  });

  test("discard: a waiting task, a failed or cancelled one with changes; repeating is a no-op", async () => {
    const w = await waiting();
    const d = await withEvents(() => discardTask(town, { taskId: w.id, by: "carol" }));
    expect(d.task).toMatchObject({ state: "completed", review: { status: "discarded", by: "carol" } });
    expect(d.events).toMatchObject([
      { type: "task.discarded", by: "carol", reviewFrom: "waiting", review: "discarded" },
    ]);
    expect(workspaceNeeded(d.task)).toBe(false);
    expect(await discardTask(town, { taskId: w.id, by: "carol" })).toEqual(d.task);

    const f = await running();
    await recordChanges(town, { taskId: f.id, by: RUNNER, changes: captured() });
    await failTask(town, { taskId: f.id, error: "exit 2", by: "cli" });
    expect((await discardTask(town, { taskId: f.id, by: "carol" })).review?.status).toBe("discarded");

    const c = await createTask(town, { description: "never ran", by: "cli" });
    await cancelTask(town, { taskId: c.id, by: "cli" });
    await expectRefusedUnchanged(town, () => discardTask(town, { taskId: c.id, by: "cli" }), "INVALID_STATE");
  });
});

describe("refused without a write", () => {
  /** A task in `state` with review `review` (null: none), reached through legal transitions. */
  async function taskIn(state: TaskState, review: ReviewStatus | null): Promise<Task> {
    if (review === null) {
      if (state === "pending") return createTask(town, { description: "p", by: "cli" });
      if (state === "assigned") return createTask(town, { description: "a", assignTo: "alpha", by: "cli" });
      const r = await running();
      if (state === "running") return r;
      await recordChanges(town, { taskId: r.id, by: RUNNER, changes: captured() });
      if (state === "failed") return failTask(town, { taskId: r.id, error: "x", by: "cli" });
      if (state === "cancelled") return cancelTask(town, { taskId: r.id, by: "cli" });
      const done = await completeTask(town, { taskId: r.id, by: "cli" });
      return recordChanges(town, { taskId: r.id, by: RUNNER, changes: captured(0) }).then(() => getTask(town, done.id));
    }
    const w = await waiting();
    if (review === "waiting") return w;
    if (review === "approved") return approveTask(town, { taskId: w.id, by: "cli" });
    if (review === "merged") {
      await approveTask(town, { taskId: w.id, by: "cli" });
      return recordMerge(town, { taskId: w.id, by: RUNNER, commit: oid("9"), strategy: "merge" });
    }
    if (review === "discarded") return discardTask(town, { taskId: w.id, by: "cli" });
    const req = await requestChanges(town, { taskId: w.id, comments: [{ text: "again" }], by: "cli" });
    if (state === "assigned") return req;
    return cancelTask(town, { taskId: req.id, by: "cli" });
  }

  const actions = {
    requestChanges: (t: Task) => requestChanges(town, { taskId: t.id, comments: [{ text: "x" }], by: "cli" }),
    approve: (t: Task) => approveTask(town, { taskId: t.id, by: "cli" }),
    recordMergeCheck: (t: Task) =>
      recordMergeCheck(town, { taskId: t.id, by: RUNNER, baseHead: oid("1"), conflicts: ["a"] }),
    recordMerge: (t: Task) => recordMerge(town, { taskId: t.id, by: RUNNER, commit: oid("2"), strategy: "merge" }),
    discard: (t: Task) => discardTask(town, { taskId: t.id, by: "cli" }),
    recordChanges: (t: Task) => recordChanges(town, { taskId: t.id, by: RUNNER, changes: captured() }),
  };
  /** Which (task state, review) each action is legal from: everything else must be refused (a repeated discard is a no-op). */
  const legal: Record<keyof typeof actions, string[]> = {
    requestChanges: ["completed/waiting"],
    approve: ["completed/waiting"],
    recordMergeCheck: ["completed/waiting", "completed/approved"],
    recordMerge: ["completed/approved"],
    discard: ["completed/waiting", "completed/null", "failed/null", "cancelled/null", "cancelled/changes_requested"],
    recordChanges: [
      "running/null",
      "completed/null",
      "failed/null",
      "cancelled/null",
      "completed/waiting",
      "cancelled/changes_requested",
    ],
  };
  const cases: [TaskState, ReviewStatus | null][] = [
    ["pending", null],
    ["assigned", null],
    ["running", null],
    ["completed", null],
    ["failed", null],
    ["cancelled", null],
    ...REVIEW_STATUSES.filter((s) => s !== "changes_requested").map((s): [TaskState, ReviewStatus] => ["completed", s]),
    ["assigned", "changes_requested"],
    ["cancelled", "changes_requested"],
  ];

  for (const [action, run] of Object.entries(actions) as [keyof typeof actions, (t: Task) => Promise<Task>][]) {
    test(`${action}: legal only from ${legal[action].join(", ")}`, async () => {
      for (const [state, review] of cases) {
        const key = `${state}/${review}`;
        const t = await taskIn(state, review);
        expect(`${t.state}/${t.review?.status ?? null}`).toBe(key);
        if (action === "discard" && key === "completed/discarded") {
          expect(await run(t)).toEqual(t); // a repeat: nothing written
        } else if (legal[action].includes(key)) {
          const next = await run(t);
          expect(next.version, key).toBe(t.version + 1);
        } else {
          const err = await expectRefusedUnchanged(
            town,
            () => run(t).then((x) => Promise.reject(new Error(`${key}: not refused (${x.state})`))),
            "INVALID_STATE",
          );
          expect(err.message, key).toMatch(new RegExp(`cannot ${action} task`));
        }
      }
    });
  }

  test("a stale version is a CONFLICT; bad comments are a VALIDATION; a stopped agent takes no change request", async () => {
    const w = await waiting();
    await expectRefusedUnchanged(
      town,
      () => approveTask(town, { taskId: w.id, expectedVersion: w.version - 1, by: "cli" }),
      "CONFLICT",
    );
    for (const comments of [
      [],
      [{ line: 3, text: "which file?" }],
      [{ file: "../etc/passwd", text: "x" }],
      [{ text: "  " }],
    ]) {
      await expectRefusedUnchanged(
        town,
        () => requestChanges(town, { taskId: w.id, comments, by: "cli" }),
        "VALIDATION",
      );
    }
    const other = await spawnAgent(town, { name: `gone-${w.id.slice(0, 4)}`, model: "claude", by: "cli" });
    const t = await createTask(town, { description: "x", assignTo: other.name, by: "cli" });
    await startTask(town, { taskId: t.id, agentId: other.id, by: RUNNER });
    await recordChanges(town, { taskId: t.id, by: RUNNER, changes: captured() });
    await completeTask(town, { taskId: t.id, by: "cli" });
    await killAgent(town, other.id, "cli");
    const err = await expectRefusedUnchanged(
      town,
      () => requestChanges(town, { taskId: t.id, comments: [{ text: "x" }], by: "cli" }),
      "INVALID_STATE",
    );
    expect(err.message).toMatch(/is stopped/);
  });
});
