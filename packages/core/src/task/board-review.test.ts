/** The board's Review column on real Redis: completed tasks with changes waiting leave Done and come back. */
import { afterAll, beforeAll, expect, test } from "vitest";
import { testTown } from "../testing";
import { spawnAgent } from "../agent/agent.service";
import type { Town } from "../town/town";
import { columnOfTask } from "./board";
import { boardColumn } from "./board-column";
import type { RecordChangesInput } from "./review";
import { completeTask, createTask, startTask } from "./task.service";
import { approveTask, discardTask, recordChanges, recordMerge, requestChanges } from "./task-review.service";

let town: Town;
let agentId: string;
beforeAll(async () => {
  town = await testTown({}, "board-review");
  agentId = (await spawnAgent(town, { name: "alpha", model: "claude", by: "cli" })).id;
});
afterAll(() => town.close());

const oid = (c: string) => c.repeat(40);
const changes = (files: number): RecordChangesInput["changes"] => ({
  branch: "tt/alpha/01234567",
  worktree: "/repo/.tt/worktrees/01234567",
  base: "main",
  baseHead: oid("a"),
  mergeBase: oid("a"),
  head: oid("b"),
  stats: { files, additions: 120, deletions: 14, binary: 0 },
  files: [],
  filesTruncated: false,
  diff: "",
  diffTruncated: false,
});

async function completed(files: number) {
  const t = await createTask(town, { description: `changes ${files}`, assignTo: "alpha", by: "cli" });
  await startTask(town, { taskId: t.id, agentId, by: "runner:r1" });
  await recordChanges(town, { taskId: t.id, by: "runner:r1", changes: changes(files) });
  return completeTask(town, { taskId: t.id, by: "alpha" });
}

const ids = async (column: "review" | "done" | "assigned") => {
  const page = await boardColumn(town, { column, cursor: 0, limit: 100 });
  return { ids: page.items.map((t) => t.id), total: page.total };
};

test("a completed task with changes is in Review, not Done; without changes it is in Done", async () => {
  const withChanges = await completed(5);
  const without = await completed(0);
  expect(columnOfTask(withChanges)).toBe("review");
  expect(columnOfTask(without)).toBe("done");
  const review = await ids("review");
  const done = await ids("done");
  expect(review.ids).toContain(withChanges.id);
  expect(review.ids).not.toContain(without.id);
  expect(done.ids).toContain(without.id);
  expect(done.ids).not.toContain(withChanges.id);
  expect(done.total).toBe(done.ids.length);
  expect(review.total).toBe(review.ids.length);
});

test("a change request takes the card out of Review; approval keeps it there until merged; discard sends it to Done", async () => {
  const a = await completed(2);
  await requestChanges(town, { taskId: a.id, by: "ana", comments: [{ text: "again" }] });
  expect((await ids("review")).ids).not.toContain(a.id);
  expect((await ids("assigned")).ids).toContain(a.id);

  const b = await completed(2);
  await approveTask(town, { taskId: b.id, by: "ana", strategy: "squash" });
  expect((await ids("review")).ids).toContain(b.id);
  await recordMerge(town, { taskId: b.id, by: "runner:r1", commit: oid("c"), strategy: "squash" });
  expect((await ids("review")).ids).not.toContain(b.id);
  expect((await ids("done")).ids).toContain(b.id);

  const c = await completed(1);
  await discardTask(town, { taskId: c.id, by: "ana" });
  expect((await ids("review")).ids).not.toContain(c.id);
  expect((await ids("done")).ids).toContain(c.id);
});

test("Done pages skip the tasks in review without losing any", async () => {
  for (let i = 0; i < 3; i++) await completed(i % 2);
  const all = await ids("done");
  const paged: string[] = [];
  for (let cursor: number | null = 0; cursor !== null;) {
    const page = await boardColumn(town, { column: "done", cursor, limit: 2 });
    paged.push(...page.items.map((t) => t.id));
    cursor = page.nextCursor;
  }
  expect(paged).toEqual(all.ids);
});
