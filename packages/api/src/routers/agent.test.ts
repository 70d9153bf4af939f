import { afterAll, describe, expect, test } from "vitest";

import { readEvents, sendMessage, startTask } from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";

import { callerFor, httpCall } from "../test-utils";

const town = await testTown();
afterAll(() => town.close());

describe("agent router", () => {
  test("spawn, list and get: the agent with its tasks (newest first) and its inbox in read order", async () => {
    const api = callerFor(town, "alice");
    const agent = await api.agent.spawn({ name: "Builder", model: "sim" });
    expect(agent).toMatchObject({ name: "builder", model: "sim", state: "starting", createdBy: "alice" });
    expect((await api.agent.list()).map((a) => a.id)).toContain(agent.id);

    const t1 = await api.task.create({ description: "first", assignTo: "builder" });
    const t2 = await api.task.create({ description: "second", assignTo: agent.id });
    await sendMessage(town, { to: agent.id, body: "later", priority: "low", from: "supervisor" });
    await sendMessage(town, { to: agent.id, body: "now", priority: "urgent", from: "supervisor" });

    const got = await api.agent.get({ agent: "BUILDER" });
    expect(got.agent.id).toBe(agent.id);
    expect(got.tasks.map((t) => t.id)).toEqual([t2.id, t1.id]);
    expect(got.inbox.map((m) => m.body)).toEqual(["now", "later"]);
    // Peeking takes nothing.
    expect((await api.agent.get({ agent: agent.id })).inbox).toHaveLength(2);

    const [spawned] = (await readEvents(town, { count: 1000 })).filter(
      (e) => e.type === "agent.spawned" && e.agentId === agent.id,
    );
    expect(spawned?.by).toBe("alice");
  });

  test("interrupt, resume, close and restart go through core's transitions, attributed to the caller", async () => {
    const api = callerFor(town, "bob");
    const a = await api.agent.spawn({ name: "cycler", model: "sim" });
    expect(await api.agent.interrupt({ agent: "cycler", now: true })).toMatchObject({ state: "paused" });
    expect(await api.agent.resume({ agent: "cycler" })).toMatchObject({ state: "starting" });
    expect(await api.agent.close({ agent: "cycler" })).toMatchObject({ state: "stopped" });
    expect(await api.agent.restart({ agent: "cycler" })).toMatchObject({ state: "starting" });
    const changes = (await readEvents(town, { count: 1000 })).filter(
      (e) => e.type === "agent.state" && e.agentId === a.id,
    );
    expect(changes.map((e) => [e.action, e.by])).toEqual([
      ["interrupt", "bob"],
      ["resume", "bob"],
      ["close", "bob"],
      ["restart", "bob"],
    ]);
    expect(changes[0]!.now).toBe(true);
  });

  test("kill requeues its unfinished tasks by default, or cancels them", async () => {
    const api = callerFor(town, "carol");
    const a = await api.agent.spawn({ name: "doomed", model: "sim" });
    const waiting = await api.task.create({ description: "waiting", assignTo: a.id });
    const running = await api.task.create({ description: "running", assignTo: a.id });
    await startTask(town, { taskId: running.id, agentId: a.id, by: "runner:test" });
    const killed = await api.agent.kill({ agent: "doomed" });
    expect(killed.agent.state).toBe("stopped");
    expect(killed.tasks.map((t) => [t.id, t.state, t.assignedTo]).sort()).toEqual(
      [
        [waiting.id, "pending", null],
        [running.id, "pending", null],
      ].sort(),
    );

    const b = await api.agent.spawn({ name: "doomed-2", model: "sim" });
    const t = await api.task.create({ description: "cancel me", assignTo: b.id });
    const res = await api.agent.kill({ agent: b.id, tasks: "cancel" });
    expect(res.tasks).toMatchObject([{ id: t.id, state: "cancelled", updatedBy: "carol" }]);
  });

  test("errors: unknown agent is NOT_FOUND, a taken name CONFLICT, a bad name or model BAD_REQUEST with a clear message", async () => {
    const api = callerFor(town);
    await expect(api.agent.get({ agent: "nobody" })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining('no agent "nobody"') as string,
    });
    await api.agent.spawn({ name: "taken", model: "sim" });
    await expect(api.agent.spawn({ name: "TAKEN", model: "sim" })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(api.agent.spawn({ name: "-bad name", model: "sim" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("name: an agent name is 1-64 characters") as string,
    });
    await expect(api.agent.spawn({ name: "supervisor", model: "sim" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("reserved") as string,
    });
    await expect(api.agent.spawn({ name: "modelless", model: "gpt-17" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining('unknown model "gpt-17"') as string,
    });
    await expect(api.agent.resume({ agent: "taken" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("cannot resume") as string,
    });

    const wire = await httpCall(town, "mutation", "agent.resume", { agent: "taken" });
    expect(wire.status).toBe(409);
    expect(wire.error?.data.core).toEqual({ code: "INVALID_STATE", details: { state: "starting", version: 1 } });
  });
});
