import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { onCluster, startRedisServer, testTown, type TestRedis } from "../testing";
import { nodeFor } from "../redis/connection";
import { commandsSent, dumpTown, expectCoreError, expectRefusedUnchanged, sleep } from "../testing/inspect";
import { spawnAgent } from "../agent/agent.service";
import { killAgent } from "../agent/lifecycle";
import { PRIORITIES, type Priority } from "../task/task";
import { townOnRedis, type Town } from "../town/town";
import type { Agent } from "../agent/agent";
import { broadcast, drain, inboxLength, peek, receive, resolveMailbox, sendMessage, tryReceive } from "./channel";
import { lastEventId, readEvents } from "./events";
import { inboxView } from "./inbox";
import { completeTask, createTask, failTask, startTask } from "../task/task.service";

let town: Town;
let bob: Agent;
beforeAll(async () => {
  town = await testTown({}, "chan");
  bob = await spawnAgent(town, { name: "bob", model: "claude", by: "cli" });
});
afterAll(() => town.close());

/** Waits until the town's blocking connection is parked in BZPOPMIN on the server. */
async function untilBlocked(t: Town, on: Town = t): Promise<void> {
  const name = `tt:${t.name}:blocking`;
  const until = Date.now() + 5_000;
  for (;;) {
    const list = (await nodeFor(on.redis, t.keys.meta).client("LIST")) as string;
    if (list.split("\n").some((l) => l.includes(`name=${name} `) && /cmd=bzpopmin/.test(l))) return;
    if (Date.now() > until) throw new Error(`the blocking connection never issued BZPOPMIN:\n${list}`);
    await sleep(10);
  }
}

describe("ordering", () => {
  test("1,000 messages of mixed priorities come out strictly by priority, FIFO within each", async () => {
    const inbox = await spawnAgent(town, { name: "ordered", model: "claude", by: "cli" });
    // A deterministic pseudo-random sequence, so that a failure can be reproduced.
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const sent: { body: string; priority: Priority }[] = [];
    for (let i = 0; i < 1000; i++) {
      const priority = PRIORITIES[Math.floor(rand() * 4)]!;
      sent.push({ body: `m${i}`, priority });
      await sendMessage(town, { to: "ordered", body: `m${i}`, priority, from: "supervisor" }, { event: false });
    }
    const rank = (p: Priority) => PRIORITIES.indexOf(p);
    const expected = sent
      .map((m, i) => ({ ...m, i }))
      .sort((a, b) => rank(a.priority) - rank(b.priority) || a.i - b.i)
      .map((m) => m.body);
    for (const p of PRIORITIES) expect(sent.filter((m) => m.priority === p).length).toBeGreaterThan(150);

    expect(await inboxLength(town, inbox.id)).toBe(1000);
    expect((await peek(town, inbox.id, 20)).map((m) => m.body)).toEqual(expected.slice(0, 20));
    const got: string[] = [];
    for (let i = 0; i < 10; i++) got.push((await receive(town, inbox.id, 1000))!.body);
    for (let i = 0; i < 10; i++) got.push((await tryReceive(town, inbox.id))!.body);
    got.push(...(await drain(town, inbox.id, 1000)).map((m) => m.body));
    expect(got).toEqual(expected);
    expect(await inboxLength(town, inbox.id)).toBe(0);
  });

  test("urgent messages keep their order among themselves (not reversed) and jump ahead of the rest", async () => {
    const a = await spawnAgent(town, { name: "urgent-order", model: "claude", by: "cli" });
    for (const [body, priority] of [
      ["n1", "normal"],
      ["u1", "urgent"],
      ["l1", "low"],
      ["u2", "urgent"],
      ["h1", "high"],
      ["u3", "urgent"],
    ] as const) {
      await sendMessage(town, { to: a.id, body, priority, from: "supervisor" });
    }
    expect((await drain(town, a.id)).map((m) => m.body)).toEqual(["u1", "u2", "u3", "h1", "n1", "l1"]);
  });
});

describe("blocking receive", () => {
  test("a receive issued before the send blocks in BZPOPMIN and returns the message promptly", async () => {
    const started = Date.now();
    const pending = receive(town, bob.id, 10_000).then((m) => ({ m, at: Date.now() }));
    await untilBlocked(town);
    const blockedFor = Date.now() - started;
    const sentAt = Date.now();
    const sent = await sendMessage(town, { to: "bob", body: "wake up", type: "ping", from: "supervisor" });
    const { m, at } = await pending;
    expect(m).toEqual(sent);
    expect(m!.createdAt).toBeGreaterThanOrEqual(started);
    expect(at - sentAt).toBeLessThan(1000);
    expect(blockedFor).toBeLessThan(5000);
  });

  test("with nothing to receive it returns null after about the timeout", async () => {
    const started = Date.now();
    expect(await receive(town, bob.id, 300)).toBeNull();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(1500);
  });

  test("an aborted receive returns null", async () => {
    const ctl = new AbortController();
    ctl.abort();
    expect(await receive(town, bob.id, 5_000, { signal: ctl.signal })).toBeNull();
  });
});

describe("mailboxes", () => {
  test("tryReceive / peek / length / drain", async () => {
    const a = await spawnAgent(town, { name: "box", model: "claude", by: "cli" });
    expect(await tryReceive(town, a.id)).toBeNull();
    expect(await peek(town, a.id)).toEqual([]);
    const sent = [];
    for (let i = 0; i < 5; i++)
      sent.push(
        await sendMessage(town, { to: "BOX", body: `b${i}`, from: "ana", correlationId: `c${i}`, data: { i } }),
      );
    expect(await inboxLength(town, a.id)).toBe(5);
    expect(await peek(town, a.id, 2)).toEqual(sent.slice(0, 2));
    expect(await inboxLength(town, a.id)).toBe(5); // peek takes nothing
    expect(await tryReceive(town, a.id)).toEqual(sent[0]);
    expect(sent[0]).toMatchObject({
      from: "ana",
      to: a.id,
      type: "info",
      priority: "normal",
      correlationId: "c0",
      data: { i: 0 },
    });
    expect(await drain(town, a.id, 2)).toEqual(sent.slice(1, 3));
    expect(await drain(town, a.id)).toEqual(sent.slice(3));
    expect(await drain(town, a.id)).toEqual([]);
    expect(await inboxLength(town, a.id)).toBe(0);
  });

  test("a send appends one message.sent event", async () => {
    const from = await lastEventId(town);
    const m = await sendMessage(town, { to: "bob", body: "evented", type: "query", priority: "high", from: "ana" });
    const events = await readEvents(town, { after: from });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "message.sent",
      messageId: m.id,
      agentId: bob.id,
      toName: "bob",
      msgType: "query",
      priority: "high",
      by: "ana",
    });
    await drain(town, bob.id);
  });

  test("broadcast reaches every agent that is not stopped, once each", async () => {
    const own = await testTown({}, "bcast");
    try {
      const live = [
        await spawnAgent(own, { name: "one", model: "claude", by: "cli" }),
        await spawnAgent(own, { name: "two", model: "claude", by: "cli" }),
      ];
      const dead = await spawnAgent(own, { name: "dead", model: "claude", by: "cli" });
      await killAgent(own, dead.id, "cli");
      const msgs = await broadcast(own, {
        body: "all hands",
        type: "shutdown",
        priority: "urgent",
        from: "supervisor",
      });
      expect(msgs.map((m) => m.to).sort()).toEqual(live.map((a) => a.id).sort());
      for (const a of live)
        expect((await drain(own, a.id)).map((m) => [m.body, m.type, m.priority])).toEqual([
          ["all hands", "shutdown", "urgent"],
        ]);
      expect(await inboxLength(own, dead.id)).toBe(0);
      expect(await inboxLength(own, "supervisor")).toBe(0);
      await expectRefusedUnchanged(own, () => broadcast(own, { body: "nul\u0000", from: "supervisor" }), "VALIDATION");
    } finally {
      await own.close();
    }
  });

  test("supervisor and its alias conductor are one mailbox", async () => {
    await drain(town, "supervisor", 1000);
    expect(await resolveMailbox(town, "Conductor")).toEqual({ id: "supervisor", name: "supervisor" });
    const a = await sendMessage(town, {
      to: "supervisor",
      from: "bob",
      body: "to supervisor",
      type: "status_response",
    });
    const b = await sendMessage(town, { to: "CONDUCTOR", from: "bob", body: "to conductor" });
    expect(a.to).toBe("supervisor");
    expect(b.to).toBe("supervisor");
    expect(await drain(town, "supervisor")).toEqual([a, b]);
  });

  test("the supervisor mailbox keeps the newest task_done reports; questions and failures are never dropped", async () => {
    const own = await testTown({ supervisor: { keepTaskDone: 3 } }, "cap");
    try {
      const worker = await spawnAgent(own, { name: "worker", model: "claude", by: "cli" });
      const question = await sendMessage(own, { to: "supervisor", from: "worker", body: "which DB?", type: "query" });
      const done: string[] = [];
      for (let i = 0; i < 10; i++) {
        const task = await createTask(own, { description: `task ${i}`, assignTo: "worker", by: "cli" });
        await startTask(own, { taskId: task.id, agentId: worker.id, by: "runner:r" });
        if (i === 4) await failTask(own, { taskId: task.id, error: "boom", by: "runner:r" });
        else await completeTask(own, { taskId: task.id, result: "ok", by: "runner:r" });
        if (i !== 4) done.push(`completed: task ${i}`);
      }
      const view = await inboxView(own, "supervisor", { limit: 100 });
      expect(view.messages.map((m) => [m.type, m.body])).toEqual([
        ["task_failed", "failed: boom"],
        ["query", question.body],
        ...done.slice(-3).map((b) => ["task_done", b]),
      ]);
      expect(view).toMatchObject({ total: 5, droppedReports: 6 });
      // A report someone already read is not counted as dropped, and never removes an unread one in its place.
      await drain(own, "supervisor", 100);
      const t = await createTask(own, { description: "one more", assignTo: "worker", by: "cli" });
      await startTask(own, { taskId: t.id, agentId: worker.id, by: "runner:r" });
      await completeTask(own, { taskId: t.id, result: "ok", by: "runner:r" });
      expect((await inboxView(own, "supervisor")).messages.map((m) => m.body)).toEqual(["completed: one more"]);
      expect((await inboxView(own, "supervisor")).droppedReports).toBe(6);
    } finally {
      await own.close();
    }
  });

  test("an unknown mailbox → NOT_FOUND, nothing written", async () => {
    const err = await expectRefusedUnchanged(
      town,
      () => sendMessage(town, { to: "nobody", body: "hi", from: "supervisor" }),
      "NOT_FOUND",
    );
    expect(err.message).toContain("nobody");
  });

  test.each([
    ["a NUL byte", { body: "a\u0000b" }, "NUL"],
    ["over 64 KiB", { body: "x".repeat(64 * 1024 + 1) }, "64 KiB"],
    ["an unknown type", { body: "x", type: "shout" }, "type"],
    ["an unknown priority", { body: "x", priority: "critical" }, "priority"],
    ["an empty recipient", { body: "x", to: "" }, "to"],
  ])("a message with %s → VALIDATION, nothing written", async (_what, fields, hint) => {
    const err = await expectRefusedUnchanged(
      town,
      () => sendMessage(town, { to: "bob", from: "supervisor", ...fields } as never),
      "VALIDATION",
    );
    expect(err.message).toContain(hint);
  });

  test("exactly 64 KiB is accepted", async () => {
    const m = await sendMessage(town, { to: "bob", body: "é".repeat(32 * 1024), from: "supervisor" });
    expect((await tryReceive(town, bob.id))!.body).toBe(m.body);
  });
});

// Not in a cluster run: it stops and restarts a private single server of its own, so it would not touch the
// cluster (the cluster run's figures count only tests that do).
describe.skipIf(onCluster())("Redis restart", () => {
  // Stopped here too, so that a test that times out leaves no redis-server behind.
  const servers: TestRedis[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.stop())));

  // Quick: the client resends the parked BZPOPMIN on reconnect. Slow: the outage outlasts the client-side
  // blocking guard, so the read fails and receive itself must re-issue it.
  // (A message popped by a read the client has already given up on would be lost: the slow case caught that.)
  // In the slow case the message is sent after the read in flight at the crash has timed out client-side.
  test.concurrent.each([
    ["quick", 0, 0],
    ["slow", 3_500, 2_000],
  ])(
    "a blocking receive survives a %s Redis restart and gets a message sent after it",
    async (_kind, downMs, thenMs) => {
      let server = await startRedisServer({ appendonly: true });
      servers.push(server);
      const own = await townOnRedis({ name: "restart-town", url: server.url });
      for (const conn of [own.redis, own.blocking()]) conn.on("error", () => {}); // reconnects are expected here
      try {
        const pending = receive(own, "supervisor", 15_000);
        await untilBlocked(own);
        const oldPid = server.pid;
        await server.stop();
        await sleep(downMs);
        server = await startRedisServer({ port: server.port, appendonly: true });
        servers.push(server);
        const until = Date.now() + 10_000;
        while ((own.blocking().status !== "ready" || own.redis.status !== "ready") && Date.now() < until)
          await sleep(10);
        await sleep(thenMs);
        expect(server.pid).not.toBe(oldPid);
        const sent = await sendMessage(own, { to: "supervisor", from: "bob", body: "after the restart" });
        const sentAt = Date.now();
        const got = await pending;
        expect(got).toEqual(sent);
        expect(Date.now() - sentAt).toBeLessThan(10_000);
      } finally {
        await own.close();
        await server.stop();
      }
    },
  );
});

test("dump helper sees writes (guards the unchanged-checks above)", async () => {
  const before = await dumpTown(town);
  await sendMessage(town, { to: "bob", body: "x", from: "supervisor" }, { event: false });
  expect(await dumpTown(town)).not.toEqual(before);
  await expectCoreError(() => sendMessage(town, { to: "bob", body: "\u0000", from: "supervisor" }), "VALIDATION");
  await drain(town, bob.id);
});

describe("one round trip by name", () => {
  test("a send by a known name is one script call; a name reused by a new agent is followed, not the old inbox", async () => {
    const { pruneAgents } = await import("../agent/agent.service");
    const old = await spawnAgent(town, { name: "movable", model: "claude", by: "cli" });
    await sendMessage(town, { to: "Movable", from: "cli", body: "first" });
    const { sent } = await commandsSent(town, () => sendMessage(town, { to: "movable", from: "cli", body: "second" }));
    // One script call and no lookup before it: the name is checked inside the script.
    expect(sent).toEqual(["evalsha"]);
    await killAgent(town, old.id, "cli");
    await pruneAgents(town, { by: "cli" });
    const reborn = await spawnAgent(town, { name: "movable", model: "claude", by: "cli" });
    await sendMessage(town, { to: "movable", from: "cli", body: "third" });
    expect((await peek(town, reborn.id)).map((m) => m.body)).toEqual(["first", "second", "third"].slice(2));
    expect(await inboxLength(town, old.id)).toBe(0);
  });
});
