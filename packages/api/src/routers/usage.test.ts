import { afterAll, describe, expect, test } from "vitest";

import {
  cancelTask,
  createActivityRecorder,
  createToken,
  startTask,
  type ActivityEntry,
  type ActivityEvent,
  type Town,
} from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";

import { claudeFixtureEvents } from "../activity-fixture";
import { createContext } from "../context";
import { closeLiveHubs } from "../live/hub";
import { createCaller } from "../root";
import { callerFor, iterate, take } from "../test-utils";

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

const fixture = await claudeFixtureEvents("normal");
const as = (town: Town, token: string) =>
  createCaller(createContext({ headers: new Headers({ authorization: `Bearer ${token}` }), town }));

/** A running task of an agent `name`, and a recorder for one of its runs (as the runner records). */
async function runningTask(town: Town, name = "claudia", run = 1) {
  const api = callerFor(town);
  const agent = await api.agent.spawn({ name, model: "sim" });
  const task = await api.task.create({ description: "fix the login test", assignTo: agent.id });
  await startTask(town, { taskId: task.id, agentId: agent.id, by: "runner:t" });
  const recorder = createActivityRecorder(town, {
    runId: `${task.id}.${run}.abc`,
    taskId: task.id,
    agentId: agent.id,
    model: "claude",
  });
  return { api, agent, task, recorder };
}

const kinds = (list: { kind: string }[]) => new Set(list.map((e) => e.kind));

describe("task activity", () => {
  test("the fixture's claude session: text, tool calls and results, a file edit, usage and cost", () => {
    // The seed the other tests (and the e2e timeline) rely on.
    expect(kinds(fixture.events)).toEqual(
      new Set(["session", "text", "tool_call", "tool_result", "file_edit", "usage", "cost"]),
    );
    expect(fixture.events.some((e) => e.kind === "tool_result" && !e.ok)).toBe(true);
    expect(fixture.reportedUsd).toBeGreaterThan(0);
  });

  test("task.activity pages the latest entries or those after an id; an unknown task is NOT_FOUND", async () => {
    const town = await freshTown();
    const { api, task, recorder } = await runningTask(town);
    await recorder.record(fixture.events);
    const all = await api.task.activity({ taskId: task.id.slice(0, 8) });
    expect(all.map(({ id: _id, at: _at, run: _run, ...e }) => e)).toEqual(fixture.events);
    expect(all.every((e) => e.run === `${task.id}.1.abc`)).toBe(true);
    const after = await api.task.activity({ taskId: task.id, after: all[2]!.id, limit: 2 });
    expect(after.map((e) => e.id)).toEqual([all[3]!.id, all[4]!.id]);
    const last = await api.task.activity({ taskId: task.id, limit: 1 });
    expect(last.map((e) => e.id)).toEqual([all.at(-1)!.id]);
    await expect(api.task.activity({ taskId: "0000dead" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(api.task.activity({ taskId: task.id, after: "not an id" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  test("task.activityStream replays, continues live, resumes after an id, and ends once the task is over", async () => {
    const town = await freshTown();
    const { task, recorder } = await runningTask(town);
    const half = Math.floor(fixture.events.length / 2);
    await recorder.record(fixture.events.slice(0, half));

    const ac = new AbortController();
    const iter = iterate(
      await callerFor(town, "viewer", { signal: ac.signal }).task.activityStream({ taskId: task.id.slice(0, 8) }),
    );
    const first = await take<ActivityEntry>(iter, half);
    expect(first.map((e) => e.data.kind)).toEqual(fixture.events.slice(0, half).map((e) => e.kind));
    expect(first[0]!.id).toBe(first[0]!.data.id);

    // A second browser resuming after the first entry gets the rest, no duplicate.
    const ac2 = new AbortController();
    const iter2 = iterate(
      await callerFor(town, "other", { signal: ac2.signal }).task.activityStream({
        taskId: task.id,
        lastEventId: first[0]!.id,
      }),
    );
    expect((await take<ActivityEntry>(iter2, half - 1)).map((e) => e.id)).toEqual(first.slice(1).map((e) => e.id));

    // Live: the rest of the session reaches both.
    const rest = fixture.events.slice(half);
    const reading = Promise.all([take<ActivityEntry>(iter, rest.length), take<ActivityEntry>(iter2, rest.length)]);
    await recorder.record(rest);
    for (const got of await reading) expect(got.map((e) => e.data.kind)).toEqual(rest.map((e) => e.kind));

    // The task is over: a late entry still arrives, then the stream ends.
    const late: ActivityEvent = { kind: "error", message: "the process ended", fatal: true };
    await recorder.record([late]);
    await cancelTask(town, { taskId: task.id, by: "alice" });
    expect((await take<ActivityEntry>(iter, 1)).map((e) => e.data.kind)).toEqual(["error"]);
    await expect(iter.next()).resolves.toMatchObject({ done: true });
    ac2.abort();
    await iter2.return?.();
  });

  test("task.activityStream for an unknown task is NOT_FOUND", async () => {
    const town = await freshTown();
    const ac = new AbortController();
    const iter = iterate(
      await callerFor(town, undefined, { signal: ac.signal }).task.activityStream({ taskId: "0000dead" }),
    );
    await expect(iter.next()).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("usage and budgets", () => {
  test("a task's, its runs', its card's, its agent's and the town's cost equal what claude reported", async () => {
    const town = await freshTown();
    const { api, agent, task, recorder } = await runningTask(town);
    await recorder.record(fixture.events);
    const usd = fixture.reportedUsd!;

    const t = await api.usage.task({ taskId: task.id });
    expect(t.usage.usd).toBeCloseTo(usd, 6);
    expect(t.usage.runs).toBe(1);
    expect(t.usage.tokens.output).toBeGreaterThan(0);
    expect(t.budget).toEqual({ limitUsd: null, spentUsd: t.usage.usd, reached: false });

    const runs = await api.usage.runs({ taskId: task.id, runIds: [`${task.id}.1.abc`, "someone-elses.1.x"] });
    expect(runs).toEqual([expect.objectContaining({ runId: `${task.id}.1.abc`, model: "claude" })]);
    expect(runs[0]!.usd).toBeCloseTo(usd, 6);

    const other = await api.task.create({ description: "never ran" });
    const cards = await api.usage.tasks({ taskIds: [task.id, other.id] });
    expect(Object.keys(cards)).toEqual([task.id]); // only when known
    expect(cards[task.id]!.usd).toBeCloseTo(usd, 6);

    const a = await api.usage.agent({ agent: agent.name });
    expect(a.today.usd).toBeCloseTo(usd, 6);
    expect(a.week.usd).toBeCloseTo(usd, 6);
    expect(a.days).toHaveLength(7);

    const all = await api.usage.town();
    expect(all.today.usd).toBeCloseTo(usd, 6);
    expect(all.byModel.map((m) => m.model)).toContain("claude-sonnet-4-5-20250929");
    expect(all.byModel.reduce((n, m) => n + m.today.usd, 0)).toBeCloseTo(usd, 6);
  });

  test("budgets: an operator sets a task's, only an admin an agent's or the town's; the state says when one is reached", async () => {
    const town = await freshTown();
    const { api, agent, task, recorder } = await runningTask(town);
    await recorder.record(fixture.events);
    const { token: admin } = await createToken(town, { name: "boss", role: "admin", by: "cli" });
    const { token: ops } = await createToken(town, { name: "ops", role: "operator", by: "cli" });
    const { token: viewer } = await createToken(town, { name: "eyes", role: "viewer", by: "cli" });

    await expect(as(town, viewer).usage.setBudget({ scope: "task", ref: task.id, usd: 5 })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(as(town, ops).usage.setBudget({ scope: "town", usd: 5 })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(as(town, ops).usage.setBudget({ scope: "agent", ref: agent.name, usd: 5 })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect((await as(town, viewer).usage.town()).budget.limitUsd).toBeNull(); // nothing changed

    await as(town, ops).usage.setBudget({ scope: "task", ref: task.id, usd: 0.01 });
    expect((await as(town, viewer).usage.task({ taskId: task.id })).budget).toMatchObject({
      limitUsd: 0.01,
      reached: true,
    });
    await as(town, admin).usage.setBudget({ scope: "agent", ref: agent.name, usd: 10 });
    await as(town, admin).usage.setBudget({ scope: "town", usd: 25 });
    expect((await as(town, viewer).usage.agent({ agent: agent.id })).budget).toMatchObject({
      limitUsd: 10,
      reached: false,
    });
    expect((await as(town, viewer).usage.town()).budget).toMatchObject({ limitUsd: 25, reached: false });

    // Bad input changes nothing: a negative budget, a town budget that names a ref.
    await expect(as(town, admin).usage.setBudget({ scope: "town", usd: -1 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(as(town, admin).usage.setBudget({ scope: "town", ref: "x", usd: 3 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect((await as(town, viewer).usage.town()).budget.limitUsd).toBe(25);

    // null goes back to the default (none).
    await as(town, admin).usage.setBudget({ scope: "town", usd: null });
    expect((await api.usage.town()).budget.limitUsd).toBeNull();
  });
});
