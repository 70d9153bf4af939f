/**
 * Issue 9 on the API, over the same fetch handler and limits the web's tRPC route mounts, on a real Redis: live
 * streams end within a second of revocation; a per-client cap on live streams; task logs share one connection;
 * body, batch and content-type limits; safe redirects after sign-in.
 */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import {
  addUser,
  createTask,
  createToken,
  appendTaskLog,
  endAllSessions,
  endSession,
  IN_PROCESS_REACH,
  login,
  removeUser,
  revokeToken,
  setUserRole,
  spawnAgent,
  startTask,
  type Town,
} from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";

import { createContext } from "./context";
import { safeNextPath } from "./guard/safe-next";
import { limitTrpcRequest, trpcGate } from "./http";
import { closeLiveHubs, streamGuard, taskLogMux } from "./live/hub";
import { appRouter } from "./root";

const ENDPOINT = "/api/trpc";
const BASE = "http://127.0.0.1:3000";
const PW = "correct horse battery";

let town: Town;
let open: Town;
let capped: Town;
beforeAll(async () => {
  town = await testTown({}, "sec");
  open = await testTown({}, "secopen");
  capped = await testTown({ web: { maxStreamsPerClient: 3 } }, "seccap");
  await addUser(town, { name: "ada", role: "admin", password: PW, by: "cli" });
});
afterAll(async () => {
  for (const t of [town, open, capped]) {
    closeLiveHubs(t);
    await t.close();
  }
});

/** What the web's tRPC route does: limits, the 401 gate, then tRPC's fetch adapter. */
async function serve(req: Request, on: Town = town): Promise<Response> {
  const limited = await limitTrpcRequest(req, ENDPOINT);
  if (limited instanceof Response) return limited;
  const refused = await trpcGate(limited, { endpoint: ENDPOINT, town: on, reach: IN_PROCESS_REACH });
  if (refused) return refused;
  return fetchRequestHandler({
    endpoint: ENDPOINT,
    router: appRouter,
    req: limited,
    maxBatchSize: 20,
    createContext: ({ resHeaders }) =>
      createContext({ headers: limited.headers, town: on, exposed: false, transport: "http", resHeaders }),
  });
}

interface Stream {
  /** Resolves with the time the server closed the stream, and what it sent. */
  closed: Promise<{ at: number; text: string }>;
  /** Resolves once the first SSE message (past the connection frame) arrived. */
  started: Promise<void>;
  abort(): void;
}

/** Opens an SSE subscription over HTTP and reads it until the server ends it. */
async function openStream(path: string, input: unknown, headers: Record<string, string>, on = town): Promise<Stream> {
  const url = new URL(`${BASE}${ENDPOINT}/${path}`);
  if (input !== undefined) url.searchParams.set("input", JSON.stringify(superjson.serialize(input)));
  const ac = new AbortController();
  const res = await serve(new Request(url, { headers, signal: ac.signal }), on);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let markStarted!: () => void;
  const started = new Promise<void>((r) => (markStarted = r));
  const closed = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) return { at: Date.now(), text };
      text += value;
      if (/^data: /m.test(text.replace(/^event: connected[\s\S]*?\n\n/, ""))) markStarted();
    }
  })();
  return { closed, started, abort: () => ac.abort() };
}

/** Measures how long after `revoke` the stream closes; fails past `ms`. */
async function endsWithin(stream: Stream, revoke: () => Promise<unknown>, ms = 1_000) {
  await stream.started;
  const t0 = Date.now();
  await revoke();
  const end = await Promise.race([stream.closed, new Promise<null>((r) => setTimeout(() => r(null), ms + 2_000))]);
  stream.abort();
  expect(end, "the stream was still open 3 s after the revocation").not.toBeNull();
  return { elapsed: end!.at - t0, text: end!.text };
}

describe("revocation ends live streams within 1 s", () => {
  test("revoking a token ends its event stream and its task-log stream", async () => {
    const { token, info } = await createToken(town, { name: "watcher", role: "viewer", by: "cli" });
    const auth = { authorization: `Bearer ${token}` };
    const agent = await spawnAgent(town, { name: "logger", model: "sim", by: "t" });
    const task = await createTask(town, { description: "log me", assignTo: agent.id, by: "t" });
    await startTask(town, { taskId: task.id, agentId: agent.id, by: "runner:t" });
    const events = await openStream("town.events", {}, auth);
    const logs = await openStream("task.logStream", { taskId: task.id }, auth);
    // The log stream has no line yet: it counts as started once its connection frame is there.
    await new Promise((r) => setTimeout(r, 200));
    const [e, l] = await Promise.all([
      endsWithin(events, () => revokeToken(town, { ref: info.id, by: "ada" })),
      (async () => {
        const end = await Promise.race([logs.closed, new Promise<null>((r) => setTimeout(() => r(null), 3_000))]);
        logs.abort();
        return end;
      })(),
    ]);
    expect(e.elapsed).toBeLessThan(1_000);
    expect(e.text).toContain("was revoked");
    expect(l, "the log stream was still open after the revocation").not.toBeNull();
    expect(streamGuard(town).openStreams).toBe(0);
  });

  test("removing a user or signing them out everywhere ends their streams within 1 s", async () => {
    await addUser(town, { name: "bob", role: "viewer", password: PW, by: "ada" });
    const s1 = (await login(town, { name: "bob", password: PW, ip: "b" })).sessionId;
    const removed = await openStream("town.events", {}, { cookie: `tt_session=${s1}` });
    const r = await endsWithin(removed, () => removeUser(town, { name: "bob", by: "ada" }));
    expect(r.elapsed).toBeLessThan(1_000);

    await addUser(town, { name: "cai", role: "operator", password: PW, by: "ada" });
    const s2 = (await login(town, { name: "cai", password: PW, ip: "c" })).sessionId;
    const everywhere = await openStream("town.events", {}, { cookie: `tt_session=${s2}` });
    const e = await endsWithin(everywhere, () => endAllSessions(town, "cai"));
    expect(e.elapsed).toBeLessThan(1_000);
    expect(e.text).toContain("signed out");
  });

  test("a role change re-checks the stream: still allowed streams carry on, with the new role", async () => {
    await addUser(town, { name: "dora", role: "admin", password: PW, by: "ada" });
    const sid = (await login(town, { name: "dora", password: PW, ip: "d" })).sessionId;
    const stream = await openStream("town.events", {}, { cookie: `tt_session=${sid}` });
    await stream.started;
    await setUserRole(town, { name: "dora", role: "viewer", by: "ada" });
    const still = await Promise.race([stream.closed, new Promise<null>((r) => setTimeout(() => r(null), 1_000))]);
    expect(still, "a viewer may still read events").toBeNull();
    stream.abort();
  });

  test("a stream that needs a role the principal lost ends within 1 s (guard level: every stream needs read today)", async () => {
    await addUser(town, { name: "emil", role: "operator", password: PW, by: "ada" });
    const sid = (await login(town, { name: "emil", password: PW, ip: "e" })).sessionId;
    const ac = new AbortController();
    const grant = streamGuard(town).open({
      principal: { kind: "user", name: "emil", role: "operator" },
      access: { sessionId: sid, exposed: false, openName: "x" },
      action: "task.write",
      clientIp: "203.0.113.1",
      signal: ac.signal,
    });
    const t0 = Date.now();
    const aborted = new Promise<number>((r) => grant.signal.addEventListener("abort", () => r(Date.now())));
    await setUserRole(town, { name: "emil", role: "viewer", by: "ada" });
    expect((await aborted) - t0).toBeLessThan(1_000);
    expect(() => grant.throwIfRevoked()).toThrow(/is now viewer; this live stream needs the operator role/);
    grant.release();
  });

  test("open access ends for open streams when the first user is added", async () => {
    const stream = await openStream("town.events", {}, {}, open);
    const r = await endsWithin(stream, () => addUser(open, { name: "first", role: "admin", password: PW, by: "cli" }));
    expect(r.elapsed).toBeLessThan(1_000);
    expect(r.text).toContain("open access has ended");
  });

  test("the periodic re-check ends a stream whose session vanished without an event", async () => {
    await addUser(town, { name: "fay", role: "viewer", password: PW, by: "ada" });
    const sid = (await login(town, { name: "fay", password: PW, ip: "f" })).sessionId;
    const stream = await openStream("town.events", {}, { cookie: `tt_session=${sid}` });
    await stream.started;
    // A plain sign-out of that one session appends no event; the backstop pass finds it.
    await endSession(town, sid);
    await streamGuard(town).revalidateAll();
    const end = await Promise.race([stream.closed, new Promise<null>((r) => setTimeout(() => r(null), 1_000))]);
    expect(end).not.toBeNull();
  });
});

describe("a per-client cap on live streams", () => {
  test("a client may hold maxStreamsPerClient streams; the next is refused with 429 until one closes", async () => {
    const streams = [];
    for (let i = 0; i < 3; i++) streams.push(await openStream("town.events", {}, {}, capped));
    for (const s of streams) await s.started;
    const url = `${BASE}${ENDPOINT}/town.events?input=${encodeURIComponent(JSON.stringify(superjson.serialize({})))}`;
    const ac = new AbortController();
    const res = await serve(new Request(url, { signal: ac.signal }), capped);
    const text = await readUntil(res, /too many|TOO_MANY_REQUESTS|live streams open/i);
    ac.abort();
    expect(text).toMatch(/already has 3 live streams open .* \(the limit is 3\)/);
    streams[0]!.abort();
    await streams[0]!.closed;
    await new Promise((r) => setTimeout(r, 50));
    const again = await openStream("town.events", {}, {}, capped);
    await again.started;
    for (const s of [again, ...streams]) s.abort();
  });
});

test("watched task logs share one Redis connection instead of one each", async () => {
  const { token } = await createToken(town, { name: "log-reader", role: "viewer", by: "cli" });
  const streams = [];
  const tasks = [];
  for (let i = 0; i < 10; i++) {
    const task = await createTask(town, { description: `log ${i}`, by: "t" });
    tasks.push(task);
    streams.push(await openStream("task.logStream", { taskId: task.id }, { authorization: `Bearer ${token}` }));
  }
  await new Promise((r) => setTimeout(r, 300));
  // Before: one blocking connection per watched task (10 here).
  expect(await logConnections()).toBe(1);
  expect(taskLogMux(town).connections).toBe(1);
  // A line written to one of them still arrives at once.
  const t0 = Date.now();
  const pipe = town.redis.pipeline();
  appendTaskLog(pipe, town, tasks[7]!.id, [{ stream: "out", line: "hello from task 7" }]);
  await pipe.exec();
  await streams[7]!.started;
  expect(Date.now() - t0).toBeLessThan(500);
  for (const s of streams) s.abort();
});

async function logConnections(): Promise<number> {
  const list = (await town.redis.client("LIST")) as string;
  return list.split("\n").filter((l) => l.includes(`name=tt:${town.name}:api:log`)).length;
}

async function readUntil(res: Response, pattern: RegExp, ms = 3_000): Promise<string> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const until = Date.now() + ms;
  while (Date.now() < until && !pattern.test(text)) {
    const r = await Promise.race([reader.read(), new Promise<null>((ok) => setTimeout(() => ok(null), 200))]);
    if (r === null) continue;
    if (r.done) break;
    text += r.value;
  }
  await reader.cancel().catch(() => undefined);
  return text;
}

describe("body, batch and content-type limits", () => {
  const post = (path: string, body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
    serve(
      new Request(`${BASE}${ENDPOINT}/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: BASE, host: "127.0.0.1:3000", ...headers },
        body,
        duplex: "half",
      }),
    );

  test("a 2 MiB body is refused with 413 and a JSON error, before any procedure runs", async () => {
    const big = JSON.stringify({ json: { name: "x".repeat(2 * 1024 * 1024), password: "y" } });
    const res = await post("auth.login", big);
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      error: {
        code: "PAYLOAD_TOO_LARGE",
        message: expect.stringContaining("the limit is 1048576 bytes (1 MiB)") as string,
      },
    });
  });

  test("a body without a length is cut at 1 MiB as it streams", async () => {
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent > 8 * 1024 * 1024) return c.close();
        sent += 64 * 1024;
        c.enqueue(new Uint8Array(64 * 1024).fill(32));
      },
    });
    const res = await post("auth.login", stream);
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(2 * 1024 * 1024);
  });

  test("a batch of more than 20 calls is refused with 413; 20 pass", async () => {
    const batch = (n: number) =>
      serve(new Request(`${BASE}${ENDPOINT}/${Array(n).fill("health.ping").join(",")}?batch=1`));
    const over = await batch(21);
    expect(over.status).toBe(413);
    expect(((await over.json()) as { error: { message: string } }).error.message).toContain(
      "a batch holds at most 20 calls, this one 21",
    );
    expect((await batch(20)).status).toBe(200);
    const logins = await post(
      `${Array(60).fill("auth.login").join(",")}?batch=1`,
      JSON.stringify(
        Object.fromEntries(Array.from({ length: 60 }, (_, i) => [i, { json: { name: "ada", password: "x" } }])),
      ),
    );
    expect(logins.status).toBe(413);
  });

  test("a multipart (or other non-JSON) mutation is a 415 with a JSON body, and nothing is created", async () => {
    const form = new FormData();
    form.set("description", "from a form");
    for (const body of [form, new URLSearchParams({ description: "x" }), "text"]) {
      const res = await serve(
        new Request(`${BASE}${ENDPOINT}/task.create`, {
          method: "POST",
          headers: typeof body === "string" ? { "content-type": "text/plain" } : {},
          body,
        }),
        open,
      );
      expect(res.status).toBe(415);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    }
    expect((await open.redis.zcard(open.keys.tasksByState("pending")).catch(() => 0)) ?? 0).toBe(0);
  });
});

test("after sign-in, `next` only ever lands on this site", () => {
  const hostile = [
    "/%09/attacker.test/phish",
    "/\t/attacker.test/phish",
    "/\n/attacker.test",
    "/\r/attacker.test",
    "/\r\n/attacker.test",
    "//attacker.test",
    "///attacker.test",
    "/\\attacker.test",
    "/\\/attacker.test",
    "\\\\attacker.test",
    "https://attacker.test/",
    "http:attacker.test",
    "javascript:alert(1)",
    "data:text/html,x",
    " //attacker.test",
    "/%5Cattacker.test".replace("%5C", "\\"),
    "",
    "attacker.test",
    "/\u0000/attacker.test",
    "/\u007f/attacker.test",
    "/" + "a".repeat(5000),
  ];
  for (const raw of hostile) expect(safeNextPath(raw), JSON.stringify(raw)).toBe("/");
  expect(safeNextPath(["//attacker.test", "/ok"])).toBe("/");
  expect(safeNextPath(undefined)).toBe("/");
  expect(safeNextPath(42)).toBe("/");
  // Same-site paths survive, query and fragment included; an encoded slash stays a path on this site.
  expect(safeNextPath("/overview")).toBe("/overview");
  expect(safeNextPath("/tasks/abc?x=1#log")).toBe("/tasks/abc?x=1#log");
  expect(safeNextPath("/%2F%2Fattacker.test")).toBe("/");
  expect(safeNextPath("/tasks/a%20b")).toBe("/tasks/a%20b");
  expect(safeNextPath("/a/../b")).toBe("/b");
  // Whatever it returns, a browser resolving it against the dashboard stays on the dashboard.
  for (const raw of hostile) expect(new URL(safeNextPath(raw), "http://127.0.0.1:3000").host).toBe("127.0.0.1:3000");
});
