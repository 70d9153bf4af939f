import { afterAll, describe, expect, test } from "vitest";

import { agentQueue, BULL_PRIORITY, readEvents, runJobId } from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";

import { callerFor, httpCall } from "../test-utils";

const town = await testTown();
afterAll(() => town.close());

describe("queue router", () => {
  test("list shows each agent's queue; clean, retry and promote act on it by task state", async () => {
    const api = callerFor(town, "alice");
    const a = await api.agent.spawn({ name: "queued", model: "sim" });
    const q = agentQueue(town, a.id);
    const low = await api.task.create({ description: "low", assignTo: "queued", priority: "low" });
    const two = await api.task.create({ description: "two", assignTo: a.id });

    const row = (await api.queue.list()).find((x) => x.agentId === a.id);
    expect(row).toMatchObject({
      agent: "queued",
      agentState: "starting",
      paused: false,
      counts: { prioritized: 2, active: 0, delayed: 0 },
      assigned: 2,
    });

    // A job whose task went away is stale: clean drops it (and only it).
    await q.add("run", { taskId: "00000000-gone", agentId: a.id }, { jobId: "stale", priority: 4 });
    expect(await api.queue.clean({ agent: "queued" })).toEqual([{ agent: "queued", removed: 1 }]);
    expect(await q.getJob("stale")).toBeUndefined();
    // Without an agent, every queue: nothing more to drop.
    expect((await api.queue.clean({})).find((r) => r.agent === "queued")).toEqual({ agent: "queued", removed: 0 });

    // An assigned task that lost its job gets it back, once.
    await (await q.getJob(runJobId(two.id, two.version)))!.remove();
    expect(await api.queue.retry({ agent: a.id })).toEqual([{ agent: "queued", enqueued: 1 }]);
    expect(await api.queue.retry({ agent: a.id })).toEqual([{ agent: "queued", enqueued: 0 }]);

    // Promote puts the low-priority task in front.
    expect(await api.queue.promote({ taskId: low.id })).toEqual({ promoted: low.id });
    expect((await q.getJob(runJobId(low.id, low.version)))!.priority).toBe(BULL_PRIORITY.resume);
  });

  test("pause and resume are the agent's interrupt and resume, attributed to the caller", async () => {
    const api = callerFor(town, "bob");
    const a = await api.agent.spawn({ name: "pausable", model: "sim" });
    expect(await api.queue.pause({ agent: "pausable" })).toMatchObject({ id: a.id, state: "paused" });
    expect((await api.queue.list()).find((x) => x.agentId === a.id)?.agentState).toBe("paused");
    expect(await api.queue.resume({ agent: "pausable" })).toMatchObject({ id: a.id, state: "starting" });
    const changes = (await readEvents(town, { count: 1000 })).filter(
      (e) => e.type === "agent.state" && e.agentId === a.id,
    );
    expect(changes.map((e) => [e.action, e.by])).toEqual([
      ["interrupt", "bob"],
      ["resume", "bob"],
    ]);
  });

  test("errors: an unknown agent is NOT_FOUND, promoting a task that is not assigned is CONFLICT, bad input BAD_REQUEST", async () => {
    const api = callerFor(town, "carol");
    await expect(api.queue.clean({ agent: "nobody" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(api.queue.retry({ agent: "nobody" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(api.queue.pause({ agent: "nobody" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const t = await api.task.create({ description: "in the backlog" });
    await expect(api.queue.promote({ taskId: t.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("only an assigned task can be promoted") as string,
    });

    const wire = await httpCall(town, "mutation", "queue.promote", { taskId: t.id }, "carol");
    expect(wire.status).toBe(409);
    expect(wire.error?.data.core).toMatchObject({ code: "INVALID_STATE", details: { state: "pending" } });
    const bad = await httpCall(town, "mutation", "queue.pause", { agent: "" }, "carol");
    expect(bad.status).toBe(400);
    expect(bad.error?.data.core?.code).toBe("VALIDATION");
  });
});
