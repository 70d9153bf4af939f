import { afterAll, describe, expect, test } from "vitest";

import { appendTaskLog, completeTask, failTask, startTask, type TaskLogEntry, type Town } from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";

import { closeLiveHubs } from "../live/hub";
import { callerFor, httpCall, iterate, take } from "../test-utils";

const towns: Town[] = [];
async function freshTown() {
  const t = await testTown();
  towns.push(t);
  return t;
}
afterAll(async () => {
  for (const t of towns) {
    closeLiveHubs(t);
    await t.close();
  }
});
const tick = () => new Promise((r) => setTimeout(r, 3));

describe("task router", () => {
  test("create, list and get: attributed to the caller, with history and the agent's name", async () => {
    const town = await freshTown();
    const api = callerFor(town, "alice");
    await api.agent.spawn({ name: "worker", model: "sim" });
    const t = await api.task.create({
      description: "write the docs",
      priority: "high",
      tags: ["Docs"],
      assignTo: "worker",
    });
    expect(t).toMatchObject({ state: "assigned", priority: "high", tags: ["docs"], createdBy: "alice", version: 1 });
    const loose = await api.task.create({ description: "unassigned" });
    expect(loose).toMatchObject({ state: "pending", priority: "normal", tags: [] });

    expect(await api.task.list({ state: "pending" })).toMatchObject({ total: 1, items: [{ id: loose.id }] });
    expect((await api.task.list({})).total).toBe(2);
    expect((await api.task.list({ agent: "worker" })).items.map((x) => x.id)).toEqual([t.id]);

    const got = await api.task.get({ taskId: t.id.slice(0, 8) });
    expect(got.task.id).toBe(t.id);
    expect(got.agentName).toBe("worker");
    expect(got.history).toMatchObject([{ type: "task.created", by: "alice", to: "assigned" }]);
    expect((await api.task.get({ taskId: loose.id })).agentName).toBeNull();
  });

  test("move: onto an agent, back to the backlog, cancelled, each by the caller; a stale move is CONFLICT with the current state", async () => {
    const town = await freshTown();
    const alice = callerFor(town, "alice");
    const bob = callerFor(town, "bob");
    await alice.agent.spawn({ name: "mover", model: "sim" });
    let t = await alice.task.create({ description: "drag me" });
    const seenByBob = t;
    t = await alice.task.move({
      taskId: t.id,
      target: { kind: "agent", agent: "mover" },
      expectedState: t.state,
      expectedVersion: t.version,
    });
    expect(t).toMatchObject({ state: "assigned", updatedBy: "alice", version: 2 });

    // Bob still sees the card as pending, version 1.
    const stale = await httpCall(
      town,
      "mutation",
      "task.move",
      {
        taskId: t.id,
        target: { kind: "cancelled" },
        expectedState: seenByBob.state,
        expectedVersion: seenByBob.version,
      },
      "bob",
    );
    expect(stale.status).toBe(409);
    expect(stale.error?.data.code).toBe("CONFLICT");
    expect(stale.error?.data.core).toMatchObject({ code: "CONFLICT", details: { state: "assigned", version: 2 } });
    expect(stale.error?.message).toContain("changed since you saw it");
    await expect(
      bob.task.move({ taskId: t.id, target: { kind: "cancelled" }, expectedState: "pending", expectedVersion: 1 }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await bob.task.get({ taskId: t.id })).task.version).toBe(2);

    t = await bob.task.move({
      taskId: t.id,
      target: { kind: "backlog" },
      expectedState: t.state,
      expectedVersion: t.version,
    });
    expect(t).toMatchObject({ state: "pending", assignedTo: null, updatedBy: "bob" });
    t = await bob.task.move({
      taskId: t.id,
      target: { kind: "cancelled" },
      expectedState: t.state,
      expectedVersion: t.version,
    });
    expect(t.state).toBe("cancelled");
    const history = (await bob.task.get({ taskId: t.id })).history;
    expect(history.map((e) => [e.type, e.by])).toEqual([
      ["task.created", "alice"],
      ["task.assigned", "alice"],
      ["task.unassigned", "bob"],
      ["task.cancelled", "bob"],
    ]);
  });

  test("cancel and retry honour expectedVersion; illegal transitions are CONFLICT", async () => {
    const town = await freshTown();
    const api = callerFor(town, "carol");
    const t = await api.task.create({ description: "cancel me" });
    await expect(api.task.cancel({ taskId: t.id, expectedVersion: 7 })).rejects.toMatchObject({ code: "CONFLICT" });
    const c = await api.task.cancel({ taskId: t.id, expectedVersion: 1 });
    expect(c).toMatchObject({ state: "cancelled", updatedBy: "carol" });
    await expect(api.task.cancel({ taskId: t.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("cannot cancel") as string,
    });
    expect(await api.task.retry({ taskId: t.id })).toMatchObject({ state: "pending", version: 3 });
  });

  test("errors: unknown task NOT_FOUND; bad input BAD_REQUEST naming the field, as VALIDATION in data.core", async () => {
    const town = await freshTown();
    const api = callerFor(town);
    await expect(api.task.get({ taskId: "0000dead" })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining('no task "0000dead"') as string,
    });
    await expect(api.task.create({ description: "" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "invalid input: description: the task text is empty",
    });
    await expect(api.task.create({ description: "x", tags: ["no spaces"] })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("tags.0: a tag is") as string,
    });
    await expect(api.task.create({ description: "x", assignTo: "ghost" })).rejects.toMatchObject({ code: "NOT_FOUND" });

    const wire = await httpCall(town, "mutation", "task.create", { description: "a\u0000b" });
    expect(wire.status).toBe(400);
    expect(wire.error?.message).toBe("invalid input: description: the task text contains a NUL byte");
    expect(wire.error?.data.core).toEqual({
      code: "VALIDATION",
      details: { issues: ["description: the task text contains a NUL byte"] },
    });
    const column = await httpCall(town, "query", "task.column", { column: "doing" });
    expect(column.status).toBe(400);
    expect(column.error?.message).toMatch(/^invalid input: column: /);
    expect((await httpCall(town, "query", "task.get", { taskId: "0000dead" })).status).toBe(404);
  });
});

describe("task.column", () => {
  test("backlog pages in priority-then-age order with a cursor", async () => {
    const town = await freshTown();
    const api = callerFor(town);
    const low = await api.task.create({ description: "low", priority: "low" });
    await tick();
    const u1 = await api.task.create({ description: "urgent 1", priority: "urgent" });
    await tick();
    const normal = await api.task.create({ description: "normal" });
    await tick();
    const u2 = await api.task.create({ description: "urgent 2", priority: "urgent" });

    const p1 = await api.task.column({ column: "backlog", limit: 3 });
    expect(p1.items.map((t) => t.id)).toEqual([u1.id, u2.id, normal.id]);
    expect(p1).toMatchObject({ total: 4, nextCursor: 3 });
    const p2 = await api.task.column({ column: "backlog", cursor: p1.nextCursor!, limit: 3 });
    expect(p2.items.map((t) => t.id)).toEqual([low.id]);
    expect(p2.nextCursor).toBeNull();
    expect(await api.task.column({ column: "assigned" })).toEqual({ items: [], total: 0, nextCursor: null });
  });

  test("assigned, running and done are newest change first; failed merges failed and cancelled newest first", async () => {
    const town = await freshTown();
    const api = callerFor(town);
    const agent = await api.agent.spawn({ name: "busy", model: "sim" });
    const make = async (d: string) => {
      const t = await api.task.create({ description: d, assignTo: agent.id });
      await tick();
      return t;
    };
    const run = async (id: string) => startTask(town, { taskId: id, agentId: agent.id, by: "runner:t" });

    const [a1, a2] = [await make("a1"), await make("a2")];
    const done: string[] = [];
    const closed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const t = await make(`done ${i}`);
      await run(t.id);
      await completeTask(town, { taskId: t.id, by: "busy" });
      done.unshift(t.id);
      await tick();
      const f = await make(`fail ${i}`);
      await run(f.id);
      await failTask(town, { taskId: f.id, error: "boom", by: "busy" });
      closed.unshift(f.id);
      await tick();
      const c = await make(`cancel ${i}`);
      await api.task.cancel({ taskId: c.id });
      closed.unshift(c.id);
      await tick();
    }
    const r = await make("running");
    await run(r.id);

    expect((await api.task.column({ column: "assigned" })).items.map((t) => t.id)).toEqual([a2.id, a1.id]);
    expect((await api.task.column({ column: "running" })).items.map((t) => t.id)).toEqual([r.id]);
    const d = await api.task.column({ column: "done", limit: 2 });
    expect(d).toMatchObject({ total: 3, nextCursor: 2 });
    expect(
      [...d.items, ...(await api.task.column({ column: "done", cursor: 2, limit: 2 })).items].map((t) => t.id),
    ).toEqual(done);

    const pages = [];
    let cursor: number | null = 0;
    while (cursor !== null) {
      const page: { items: { id: string; state: string }[]; total: number; nextCursor: number | null } =
        await api.task.column({ column: "failed", cursor, limit: 4 });
      expect(page.total).toBe(6);
      pages.push(...page.items);
      cursor = page.nextCursor;
    }
    expect(pages.map((t) => t.id)).toEqual(closed);
    expect(new Set(pages.map((t) => t.state))).toEqual(new Set(["failed", "cancelled"]));
  });

  test("cards cut long descriptions to 500 characters (never inside a surrogate pair) and say so", async () => {
    const town = await freshTown();
    const api = callerFor(town);
    const long = await api.task.create({ description: "x".repeat(499) + "😀" + "y".repeat(100) });
    const short = await api.task.create({ description: "short", priority: "urgent" });
    const { items } = await api.task.column({ column: "backlog" });
    expect(items[0]).toMatchObject({ id: short.id, description: "short", truncated: false });
    expect(items[1]).toMatchObject({ id: long.id, description: "x".repeat(499), truncated: true });
    expect((await api.task.get({ taskId: long.id })).task.description).toHaveLength(601);
  });
});

describe("task logs", () => {
  async function runningTask(town: Town) {
    const api = callerFor(town);
    const agent = await api.agent.spawn({ name: "talker", model: "sim" });
    const t = await api.task.create({ description: "talk", assignTo: agent.id });
    await startTask(town, { taskId: t.id, agentId: agent.id, by: "runner:t" });
    return { api, task: t };
  }
  async function write(town: Town, taskId: string, lines: string[], stream: "out" | "err" = "out") {
    const pipe = town.redis.pipeline();
    appendTaskLog(
      pipe,
      town,
      taskId,
      lines.map((line) => ({ stream, line })),
    );
    await pipe.exec();
  }

  test("task.log pages the latest lines, or the lines after a position, and says when lines were left out", async () => {
    const town = await freshTown();
    const { api, task } = await runningTask(town);
    await write(town, task.id, ["l0", "l1", "l2", "l3", "l4"]);
    await write(town, task.id, ["e5"], "err");

    const latest = await api.task.log({ taskId: task.id, limit: 4 });
    expect(latest.lines.map((l) => l.line)).toEqual(["l2", "l3", "l4", "e5"]);
    expect(latest.truncated).toBe(true);
    expect(latest.lines[3]).toMatchObject({
      stream: "err",
      at: expect.any(Number) as number,
      id: expect.stringMatching(/^\d+-\d+$/) as string,
    });
    expect((await api.task.log({ taskId: task.id })).truncated).toBe(false);

    const all = await api.task.log({ taskId: task.id });
    const after = await api.task.log({ taskId: task.id, after: all.lines[0]!.id, limit: 2 });
    expect(after).toMatchObject({ lines: [{ line: "l1" }, { line: "l2" }], truncated: true });
    const rest = await api.task.log({ taskId: task.id, after: all.lines[3]!.id, limit: 2 });
    expect(rest).toMatchObject({ lines: [{ line: "l4" }, { line: "e5" }], truncated: false });

    await expect(api.task.log({ taskId: "0000dead" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(api.task.log({ taskId: task.id, after: "the end" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("after:") as string,
    });
  });

  test("task.logStream replays from the start, continues live, resumes after an id, and ends once the task is over", async () => {
    const town = await freshTown();
    const { task } = await runningTask(town);
    await write(town, task.id, ["one", "two"]);

    const ac = new AbortController();
    const iter = iterate(
      await callerFor(town, "viewer", { signal: ac.signal }).task.logStream({ taskId: task.id.slice(0, 8) }),
    );
    const first = await take<TaskLogEntry>(iter, 2);
    expect(first.map((l) => l.data.line)).toEqual(["one", "two"]);
    expect(first[0]!.id).toBe(first[0]!.data.id);

    // A second viewer resuming after "one" shares the same follower.
    const ac2 = new AbortController();
    const iter2 = iterate(
      await callerFor(town, "other", { signal: ac2.signal }).task.logStream({
        taskId: task.id,
        lastEventId: first[0]!.id,
      }),
    );
    expect((await take<TaskLogEntry>(iter2, 1)).map((l) => l.data.line)).toEqual(["two"]);

    const reading = Promise.all([take<TaskLogEntry>(iter, 2), take<TaskLogEntry>(iter2, 2)]);
    await write(town, task.id, ["three"]);
    await write(town, task.id, ["oops"], "err");
    for (const got of await reading)
      expect(got.map((l) => [l.data.stream, l.data.line])).toEqual([
        ["out", "three"],
        ["err", "oops"],
      ]);

    // The run ends: its last lines still arrive, then the stream ends.
    await write(town, task.id, ["bye"]);
    await completeTask(town, { taskId: task.id, by: "talker" });
    expect((await take<TaskLogEntry>(iter, 1)).map((l) => l.data.line)).toEqual(["bye"]);
    await expect(iter.next()).resolves.toMatchObject({ done: true });
    ac2.abort();
    await iter2.return?.();
  });

  test("task.logStream for an unknown task is NOT_FOUND", async () => {
    const town = await freshTown();
    const ac = new AbortController();
    const iter = iterate(
      await callerFor(town, undefined, { signal: ac.signal }).task.logStream({ taskId: "0000dead" }),
    );
    await expect(iter.next()).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
