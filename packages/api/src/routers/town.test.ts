import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { afterAll, describe, expect, test } from "vitest";

import { completeTask, createTask, failTask, lastEventId, spawnAgent, startTask, type TownEvent } from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";

import { closeLiveHubs, eventHub } from "../live/hub";
import { compareStreamIds } from "../live/stream-id";
import { createContext } from "../context";
import { appRouter } from "../root";
import { callerFor, httpCall, iterate, take } from "../test-utils";

const town = await testTown();
afterAll(async () => {
  closeLiveHubs(town);
  await town.close();
});

/** Subscribes to town.events as `name`; `stop()` aborts the request like a closed browser tab. */
async function subscribe(lastEventId?: string, name = "watcher") {
  const ac = new AbortController();
  const iter = iterate(
    await callerFor(town, name, { signal: ac.signal }).town.events(lastEventId ? { lastEventId } : undefined),
  );
  return {
    iter,
    stop: async () => {
      ac.abort();
      await iter.return?.();
    },
  };
}

describe("town queries", () => {
  test("status and overview count tasks and agents; throughput buckets the last hour by minute", async () => {
    const api = callerFor(town, "alice");
    const agent = await spawnAgent(town, { name: "counter", model: "sim", by: "cli" });
    const done = await createTask(town, { description: "done", assignTo: agent.id, by: "cli" });
    await startTask(town, { taskId: done.id, agentId: agent.id, by: "runner:x" });
    await completeTask(town, { taskId: done.id, by: "counter" });
    const bad = await createTask(town, { description: "bad", assignTo: agent.id, by: "cli" });
    await startTask(town, { taskId: bad.id, agentId: agent.id, by: "runner:x" });
    await failTask(town, { taskId: bad.id, error: "exit 1", by: "counter" });
    await api.task.create({ description: "waiting" });

    const status = await api.town.status();
    expect(status).toMatchObject({
      name: town.name,
      backlog: 1,
      agents: { starting: 1 },
      tasks: { completed: 1, failed: 1, pending: 1 },
    });

    const o = await api.town.overview();
    expect(o.tasks).toMatchObject({ completed: 1, failed: 1, pending: 1, running: 0 });
    expect(o.agents.starting).toBe(1);
    expect(o.backlog).toBe(1);
    expect(o.throughput).toHaveLength(60);
    const now = Date.now();
    const last = o.throughput.at(-1)!;
    expect(last.at).toBe(Math.floor(now / 60_000) * 60_000);
    expect(o.throughput[0]!.at).toBe(last.at - 59 * 60_000);
    // The two changes happened a moment ago: in the current minute (or the previous one if the minute just turned).
    const recentBuckets = o.throughput.slice(-2);
    expect(recentBuckets.reduce((n, b) => n + b.completed, 0)).toBe(1);
    expect(recentBuckets.reduce((n, b) => n + b.failed, 0)).toBe(1);
    expect(o.throughput.slice(0, -2).every((b) => b.completed === 0 && b.failed === 0)).toBe(true);
    expect(o.recent.length).toBeGreaterThan(5);
    expect(o.recent.at(-1)).toMatchObject({ type: "task.created", by: "alice" });
  });

  test("models lists presets, the sim and custom models with the live runners that can run them", async () => {
    const custom = await testTown({ models: { fixture: { command: "node", args: ["ok.js"] } } });
    try {
      const k = custom.keys;
      await custom.redis.hset(
        k.runners,
        "r-live",
        JSON.stringify({ host: "h", pid: 1, startedAt: 0, models: ["claude", "fixture", "sim"] }),
      );
      await custom.redis.hset(
        k.runners,
        "r-dead",
        JSON.stringify({ host: "h", pid: 2, startedAt: 0, models: ["claude"] }),
      );
      await custom.redis.zadd(k.runnerAlive, Date.now(), "r-live", 1, "r-dead");
      const models = await callerFor(custom).town.models();
      const byName = new Map(models.map((m) => [m.name, m]));
      expect(byName.get("claude")).toMatchObject({
        kind: "preset",
        label: "Claude Code",
        command: "claude",
        installedOn: ["r-live"],
      });
      expect(byName.get("codex")).toMatchObject({ kind: "preset", installedOn: [] });
      expect(byName.get("sim")).toMatchObject({ kind: "simulated", installedOn: ["r-live"] });
      expect(byName.get("fixture")).toMatchObject({
        kind: "custom",
        label: "fixture",
        command: "node",
        installedOn: ["r-live"],
      });
    } finally {
      await custom.close();
    }
  });
});

describe("town.events", () => {
  test("a subscriber receives a change made after subscribing, attributed to the person who made it", async () => {
    const sub = await subscribe();
    // A fresh subscription first fixes its cursor and says so; a change made right after that marker is delivered.
    const [ready] = await take<TownEvent>(sub.iter, 1);
    expect(ready!.data.type).toBe("stream.ready");
    expect(ready!.id).toBe(await lastEventId(town));
    const task = await callerFor(town, "bob").task.create({ description: "live one" });
    const [ev] = await take<TownEvent>(sub.iter, 1);
    expect(ev!.data).toMatchObject({ type: "task.created", taskId: task.id, by: "bob" });
    expect(ev!.id).toBe(ev!.data.id);
    await sub.stop();
  });

  test("resuming from a lastEventId replays what was missed, then continues live with no gap and no duplicate", async () => {
    const api = callerFor(town, "carol");
    const first = await api.task.create({ description: "seen" });
    const seen = (await api.task.get({ taskId: first.id })).history[0]!.id;
    const missed = [
      await api.task.create({ description: "missed 1" }),
      await api.task.create({ description: "missed 2" }),
    ];

    const sub = await subscribe(seen);
    const replayed = await take<TownEvent>(sub.iter, 2);
    expect(replayed.map((e) => e.data.taskId)).toEqual(missed.map((t) => t.id));

    const live = await api.task.create({ description: "after resume" });
    const [next] = await take<TownEvent>(sub.iter, 1);
    expect(next!.data).toMatchObject({ taskId: live.id, type: "task.created" });
    expect(BigInt(next!.id.split("-")[0]!)).toBeGreaterThanOrEqual(BigInt(replayed[1]!.id.split("-")[0]!));
    await sub.stop();
  });

  test("changes made while a resuming subscriber replays arrive exactly once, in order", async () => {
    const api = callerFor(town, "dave");
    const mark = (await api.task.get({ taskId: (await api.task.create({ description: "mark" })).id })).history[0]!.id;
    const before = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api.task.create({ description: `before ${i}` })),
    );
    const sub = await subscribe(mark);
    const reading = take<TownEvent>(sub.iter, 40);
    const during = [];
    for (let i = 0; i < 20; i++) during.push(await api.task.create({ description: `during ${i}` }));
    const got = await reading;
    const ids = got.map((e) => e.id);
    expect(new Set(ids).size).toBe(40);
    expect([...ids].sort(compareStreamIds)).toEqual(ids);
    const created = new Set(got.filter((e) => e.data.type === "task.created").map((e) => e.data.taskId));
    for (const t of [...before, ...during]) expect(created.has(t.id)).toBe(true);
    await sub.stop();
  });

  test("two subscribers both receive every change from one shared loop, and abort ends each cleanly", async () => {
    const a = await subscribe(undefined, "a");
    const b = await subscribe(undefined, "b");
    for (const s of [a, b]) expect((await take<TownEvent>(s.iter, 1))[0]!.data.type).toBe("stream.ready");
    const pa = take<TownEvent>(a.iter, 2);
    const pb = take<TownEvent>(b.iter, 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(eventHub(town).subscriberCount).toBe(2);
    const api = callerFor(town, "erin");
    const t1 = await api.task.create({ description: "for both 1" });
    const t2 = await api.task.create({ description: "for both 2" });
    for (const got of [await pa, await pb]) expect(got.map((e) => e.data.taskId)).toEqual([t1.id, t2.id]);

    // A subscriber waiting for the next event ends as soon as its request is aborted.
    const waiting = a.iter.next();
    await a.stop();
    await expect(waiting).resolves.toMatchObject({ done: true });
    await b.stop();
    await expect(b.iter.next()).resolves.toMatchObject({ done: true });
    expect(eventHub(town).subscriberCount).toBe(0);
  });

  test("a malformed lastEventId is a BAD_REQUEST that names the field", async () => {
    const ac = new AbortController();
    await expect(
      callerFor(town, undefined, { signal: ac.signal }).town.events({ lastEventId: "yesterday" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("lastEventId: lastEventId must be an event id") as string,
    });
  });

  test("over SSE (the handler the web mounts), events carry their stream id as the SSE id", async () => {
    const ac = new AbortController();
    const url = new URL("http://localhost/api/trpc/town.events");
    url.searchParams.set("input", JSON.stringify(superjson.serialize({})));
    const req = new Request(url, { signal: ac.signal });
    const res = await fetchRequestHandler({
      endpoint: "/api/trpc",
      router: appRouter,
      req,
      createContext: () => createContext({ headers: req.headers, town }),
    });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const created = new Promise<string>((resolve, reject) => {
      const pump = async (): Promise<void> => {
        const { value, done } = await reader.read();
        if (done) return reject(new Error(`stream ended: ${text}`));
        text += value;
        // One SSE message per blank-line-separated block: `data:` (superjson) and `id:` (the tracked id).
        const block = text.split("\n\n").find((b) => b.includes('"type":"task.created"') && /^id: /m.test(b));
        if (block) return resolve(/^id: (.*)$/m.exec(block)![1]!);
        return pump();
      };
      pump().catch(reject);
    });
    await new Promise((r) => setTimeout(r, 100));
    const t = await callerFor(town, "sse").task.create({ description: "over the wire" });
    const id = await created;
    expect(text).toContain(t.id);
    expect((await callerFor(town).task.get({ taskId: t.id })).history[0]!.id).toBe(id);
    ac.abort();
    await reader.cancel().catch(() => undefined);
  });

  test("queries reach the town over HTTP like the browser does", async () => {
    const res = await httpCall(town, "query", "town.status", undefined);
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ name: town.name });
  });
});
