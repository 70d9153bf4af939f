/** The tools over an in-memory MCP transport, on a real Redis: results, errors, roles and attribution. */
import { afterEach, beforeEach, describe, expect, test } from "vitest";

import {
  appendTaskLog,
  readEvents,
  type Agent,
  type Principal,
  type Task,
  type TaskPage,
  type Town,
  type TownEvent,
} from "@tinytown/core";
import { dumpTown, testTown } from "@tinytown/core/testing";

import { ToolInputs } from "./server";
import { TestClient, TOOL_NAMES } from "../test/helpers";

let town: Town;
let clients: TestClient[] = [];
beforeEach(async () => {
  town = await testTown({}, "mcp");
});
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
  await town.close();
});

const alice: Principal = { kind: "user", name: "alice", role: "admin" };
const ops: Principal = { kind: "token", name: "ops", role: "operator", tokenId: "t1" };
const vic: Principal = { kind: "user", name: "vic", role: "viewer" };

async function as(principal: Principal): Promise<TestClient> {
  const c = await TestClient.inMemory(town, principal);
  clients.push(c);
  return c;
}

describe("tools", () => {
  test("lists every tool with a JSON schema from core's zod schemas (no `by`: the server sets it)", async () => {
    const c = await as(alice);
    const { tools } = await c.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(TOOL_NAMES);
    const create = tools.find((t) => t.name === "create_task")!;
    expect(Object.keys(create.inputSchema.properties ?? {})).toEqual(["description", "priority", "tags", "assignTo"]);
    expect(create.inputSchema.required).toEqual(["description"]);
    expect(create.inputSchema).toMatchObject({ additionalProperties: false });
    expect(tools.find((t) => t.name === "list_tasks")!.annotations).toMatchObject({ readOnlyHint: true });
  });

  test("create a task, move it onto an agent, read it back with its history; every change is by the caller", async () => {
    const c = await as(alice);
    const agent = await c.ok<Agent>("spawn_agent", { name: "worker-1", model: "sim" });
    expect(agent).toMatchObject({ name: "worker-1", model: "sim", state: "starting", createdBy: "alice" });
    const task = await c.ok<Task>("create_task", { description: "write the README", priority: "high", tags: ["Docs"] });
    expect(task).toMatchObject({ state: "pending", priority: "high", tags: ["docs"], createdBy: "alice" });

    const moved = await c.ok<Task>("move_task", {
      taskId: task.id.slice(0, 8),
      to: "agent",
      agent: "worker-1",
      expectedState: "pending",
      expectedVersion: task.version,
    });
    expect(moved).toMatchObject({ id: task.id, state: "assigned", assignedTo: agent.id, updatedBy: "alice" });

    const detail = await c.ok<{ task: Task; history: TownEvent[] }>("get_task", { taskId: task.id });
    expect(detail.task).toEqual(moved);
    expect(detail.history.map((e) => [e.type, e.by])).toEqual([
      ["task.created", "alice"],
      ["task.assigned", "alice"],
    ]);

    const page = await c.ok<TaskPage>("list_tasks", { state: "assigned" });
    expect(page.items.map((t) => t.id)).toEqual([task.id]);
    expect(page.total).toBe(1);

    // Back to the backlog (unassign), then cancel, then back again (retry).
    const back = await c.ok<Task>("move_task", {
      taskId: task.id,
      to: "backlog",
      expectedState: "assigned",
      expectedVersion: moved.version,
    });
    expect(back).toMatchObject({ state: "pending", assignedTo: null });
    const cancelled = await c.ok<Task>("move_task", {
      taskId: task.id,
      to: "cancelled",
      expectedState: "pending",
      expectedVersion: back.version,
    });
    expect(cancelled.state).toBe("cancelled");
    expect(
      (
        await c.ok<Task>("move_task", {
          taskId: task.id,
          to: "backlog",
          expectedState: "cancelled",
          expectedVersion: cancelled.version,
        })
      ).state,
    ).toBe("pending");

    const events = await c.ok<{ events: TownEvent[] }>("list_events", { type: "task." });
    expect(events.events.map((e) => e.type)).toEqual([
      "task.retried",
      "task.cancelled",
      "task.unassigned",
      "task.assigned",
      "task.created",
    ]);
    expect(new Set(events.events.map((e) => e.by))).toEqual(new Set(["alice"]));
  });

  test("town status, agents, agent actions", async () => {
    const c = await as(alice);
    await c.ok("spawn_agent", { name: "w", model: "sim" });
    const status = await c.ok<{ name: string; agents: Record<string, number> }>("town_status");
    expect(status.name).toBe(town.name);
    expect(status.agents.starting).toBe(1);
    expect((await c.ok<{ agents: Agent[] }>("list_agents", { state: "starting" })).agents.map((a) => a.name)).toEqual([
      "w",
    ]);

    expect((await c.ok<{ agent: Agent }>("agent_action", { agent: "w", action: "interrupt" })).agent.state).toBe(
      "paused",
    );
    expect((await c.ok<{ agent: Agent }>("agent_action", { agent: "w", action: "resume" })).agent.state).toBe(
      "starting",
    );
    const killed = await c.ok<{ agent: Agent; tasks: Task[] }>("agent_action", {
      agent: "w",
      action: "kill",
      tasks: "cancel",
    });
    expect(killed).toMatchObject({ agent: { state: "stopped" }, tasks: [] });
    expect((await c.ok<{ agent: Agent }>("agent_action", { agent: "w", action: "restart" })).agent.state).toBe(
      "starting",
    );
    expect((await c.ok<{ agent: Agent }>("agent_action", { agent: "w", action: "close" })).agent.state).toBe("stopped");
    const byAgentEvents = (await readEvents(town)).filter((e) => e.type.startsWith("agent."));
    expect(byAgentEvents.every((e) => e.by === "alice")).toBe(true);
  });

  test("messages: send to an agent, peek its inbox in read order; the sender is recorded", async () => {
    const c = await as(ops);
    await (await as(alice)).ok("spawn_agent", { name: "w", model: "sim" });
    await c.ok("send_message", { to: "w", body: "low first", priority: "low" });
    const urgent = await c.ok<{ id: string; from: string; data: unknown }>("send_message", {
      to: "w",
      body: "urgent second",
      priority: "urgent",
    });
    expect(urgent).toMatchObject({ from: "token:ops", data: { by: "token:ops" } });
    const inbox = await c.ok<{ mailbox: string; messages: { body: string }[] }>("read_inbox", { mailbox: "w" });
    expect(inbox.mailbox).toBe("w");
    expect(inbox.messages.map((m) => m.body)).toEqual(["urgent second", "low first"]);
    // Peeking takes nothing.
    expect((await c.ok<{ messages: unknown[] }>("read_inbox", { mailbox: "w" })).messages).toHaveLength(2);
    expect((await c.ok<{ messages: unknown[] }>("read_inbox", { mailbox: "supervisor" })).messages).toEqual([]);
  });

  test("task log: the latest lines, or those after an id", async () => {
    const c = await as(vic);
    const task = await (await as(alice)).ok<Task>("create_task", { description: "log me" });
    const pipe = town.redis.pipeline();
    appendTaskLog(
      pipe,
      town,
      task.id,
      [1, 2, 3].map((n) => ({ stream: "out" as const, line: `line ${n}` })),
    );
    await pipe.exec();
    const all = await c.ok<{ lines: { id: string; line: string }[] }>("task_log", { taskId: task.id });
    expect(all.lines.map((l) => l.line)).toEqual(["line 1", "line 2", "line 3"]);
    expect(
      (await c.ok<{ lines: { line: string }[] }>("task_log", { taskId: task.id, limit: 1 })).lines.map((l) => l.line),
    ).toEqual(["line 3"]);
    const after = await c.ok<{ lines: { line: string }[] }>("task_log", { taskId: task.id, after: all.lines[0]!.id });
    expect(after.lines.map((l) => l.line)).toEqual(["line 2", "line 3"]);
  });
});

describe("errors come back as tool errors with core's message", () => {
  test("a stale move: CONFLICT with the current state, and nothing changes", async () => {
    const c = await as(alice);
    await c.ok("spawn_agent", { name: "w", model: "sim" });
    const task = await c.ok<Task>("create_task", { description: "race me" });
    await c.ok("move_task", {
      taskId: task.id,
      to: "agent",
      agent: "w",
      expectedState: "pending",
      expectedVersion: task.version,
    });
    const before = await dumpTown(town);
    const r = await c.call("move_task", {
      taskId: task.id,
      to: "cancelled",
      expectedState: "pending",
      expectedVersion: task.version,
    });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^CONFLICT: task \w{8} changed since you saw it: it is now assigned \(version \d+\)/);
    expect(r.data.error).toMatchObject({ code: "CONFLICT", details: { state: "assigned" } });
    expect(await dumpTown(town)).toEqual(before);
  });

  test("unknown task or agent: NOT_FOUND saying what to do", async () => {
    const c = await as(alice);
    const r = await c.call("get_task", { taskId: "deadbeef" });
    expect(r).toMatchObject({ isError: true, data: { error: { code: "NOT_FOUND" } } });
    expect(r.text).toMatch(/^NOT_FOUND: .*deadbeef/);
    const a = await c.call("agent_action", { agent: "ghost", action: "kill" });
    expect(a.text).toMatch(/^NOT_FOUND: .*ghost/);
    const m = await c.call("send_message", { to: "ghost", body: "hi" });
    expect(m.text).toMatch(/^NOT_FOUND: no agent "ghost"/);
  });

  test("bad input is refused by the tool's schema with core's message, and changes nothing", async () => {
    const c = await as(alice);
    const before = await dumpTown(town);
    const empty = await c.call("create_task", { description: "" });
    expect(empty.isError).toBe(true);
    expect(empty.text).toContain("the task text is empty");
    const nul = await c.call("create_task", { description: "a\u0000b" });
    expect(nul.text).toContain("NUL");
    const extra = await c.call("create_task", { description: "x", by: "someone-else" });
    expect(extra.isError).toBe(true);
    expect(extra.text).toMatch(/by/);
    const noAgent = await c.call("move_task", {
      taskId: "x",
      to: "agent",
      expectedState: "pending",
      expectedVersion: 1,
    });
    expect(noAgent.text).toContain("give `agent` exactly when `to` is agent");
    const badName = await c.call("spawn_agent", { name: "Bad Name!", model: "sim" });
    expect(badName.text).toContain("an agent name is 1-64 characters");
    expect(await dumpTown(town)).toEqual(before);
  });

  test("an illegal transition: INVALID_STATE", async () => {
    const c = await as(alice);
    const task = await c.ok<Task>("create_task", { description: "x" });
    const r = await c.call("move_task", {
      taskId: task.id,
      to: "backlog",
      expectedState: "pending",
      expectedVersion: task.version,
    });
    expect(r.text).toBe("INVALID_STATE: a pending task cannot go back to the backlog");
  });
});

describe("roles are checked before core is called", () => {
  test("a viewer reads but cannot create, move, message or manage agents", async () => {
    const admin = await as(alice);
    await admin.ok("spawn_agent", { name: "w", model: "sim" });
    const task = await admin.ok<Task>("create_task", { description: "x" });
    const c = await as(vic);
    expect((await c.ok<TaskPage>("list_tasks")).total).toBe(1);
    const before = await dumpTown(town);
    const refused = [
      await c.call("create_task", { description: "nope" }),
      await c.call("move_task", {
        taskId: task.id,
        to: "cancelled",
        expectedState: "pending",
        expectedVersion: task.version,
      }),
      await c.call("send_message", { to: "w", body: "hi" }),
      await c.call("spawn_agent", { name: "x", model: "sim" }),
      await c.call("agent_action", { agent: "w", action: "kill" }),
    ];
    for (const r of refused) expect(r.data.error?.code).toBe("FORBIDDEN");
    expect(refused[0]!.text).toBe(
      "FORBIDDEN: vic is a viewer; this needs the operator role (ask an admin: tt user role vic operator)",
    );
    expect(refused[3]!.text).toContain("this needs the admin role");
    expect(await dumpTown(town)).toEqual(before);
  });

  test("an operator creates and messages but cannot manage agents, not even with a shutdown message", async () => {
    const c = await as(ops);
    expect((await c.ok<Task>("create_task", { description: "ok" })).createdBy).toBe("token:ops");
    const r = await c.call("spawn_agent", { name: "x", model: "sim" });
    expect(r.text).toMatch(/^FORBIDDEN: token:ops is an operator; this needs the admin role/);
    await (await as(alice)).ok("spawn_agent", { name: "w", model: "sim" });
    const before = await dumpTown(town);
    const shutdown = await c.call("send_message", { to: "w", body: "stop", type: "shutdown" });
    expect(shutdown.text).toMatch(/^FORBIDDEN: token:ops is an operator; a shutdown message needs the admin role/);
    expect(await dumpTown(town)).toEqual(before);
    expect(await (await as(alice)).ok("send_message", { to: "w", body: "stop", type: "shutdown" })).toMatchObject({
      type: "shutdown",
      from: "alice",
    });
  });

  test("no tool lets the caller name who acts (only list_events filters by an actor)", () => {
    const actorFields = ["by", "from", "actor", "createdBy", "updatedBy", "sender"];
    const fields = Object.entries(ToolInputs).flatMap(([name, schema]) =>
      Object.keys((schema as { shape?: Record<string, unknown> }).shape ?? {}).map((k) => [name, k] as const),
    );
    expect(fields.length).toBeGreaterThan(20);
    const offending = fields.filter(([n, k]) => actorFields.includes(k) && !(n === "list_events" && k === "by"));
    expect(offending).toEqual([]);
  });

  test("the sender cannot be chosen: a `from` argument is refused as an unknown field", async () => {
    const c = await as(ops);
    const r = await c.call("send_message", { to: "supervisor", body: "hi", from: "supervisor" });
    expect(r).toMatchObject({ isError: true, text: expect.stringContaining('Unrecognized key: "from"') as string });
    expect(await readEvents(town)).toEqual([]);
  });

  test("the principal is resolved on every call when given as a function (a revoked token stops at once)", async () => {
    let current: Principal | null = ops;
    const c = await TestClient.inMemory(town, async () => {
      if (!current) throw new Error("revoked");
      return current;
    });
    clients.push(c);
    await c.ok("create_task", { description: "one" });
    current = vic;
    expect((await c.call("create_task", { description: "two" })).data.error?.code).toBe("FORBIDDEN");
  });
});
