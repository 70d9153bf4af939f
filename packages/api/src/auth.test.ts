/**
 * Sign-in, roles and CSRF over the real HTTP handler the web mounts. The route walk enumerates every procedure
 * of the app router, so a procedure added later without a decided role fails here.
 */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import {
  addUser,
  assessReach,
  createToken,
  getTask,
  IN_PROCESS_REACH,
  listTasks,
  login,
  LOGIN_POLICY,
  type Reach,
  type Role,
  type Town,
} from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";
import { dumpTown } from "@tinytown/core/testing";

import { createContext, SESSION_COOKIE } from "./context";
import { closeLiveHubs } from "./live/hub";
import { PUBLIC_PROCEDURES, trpcGate } from "./http";
import { appRouter, createCaller } from "./root";

type Kind = "query" | "mutation" | "subscription";
type Need = Role | "public";

/** The decided role of every procedure. Reads are viewer; task changes and messages operator; agents admin. */
const NEEDS: Record<string, Need> = {
  "health.ping": "public",
  "health.ticks": "viewer",
  "auth.me": "public",
  "auth.login": "public",
  "auth.logout": "public",
  "auth.logoutEverywhere": "viewer",
  "auth.changePassword": "viewer",
  "town.status": "viewer",
  "town.overview": "viewer",
  "town.audit": "viewer",
  "town.models": "viewer",
  "town.events": "viewer",
  "town.modelAvailability": "viewer",
  "agent.list": "viewer",
  "agent.get": "viewer",
  "agent.spawn": "admin",
  "agent.kill": "admin",
  "agent.interrupt": "admin",
  "agent.resume": "admin",
  "agent.close": "admin",
  "agent.restart": "admin",
  "task.list": "viewer",
  "task.column": "viewer",
  "task.get": "viewer",
  "task.create": "operator",
  "task.move": "operator",
  "task.cancel": "operator",
  "task.retry": "operator",
  "task.log": "viewer",
  "task.logStream": "viewer",
  "task.tails": "viewer",
  "task.activity": "viewer",
  "task.activityStream": "viewer",
  "usage.task": "viewer",
  "usage.runs": "viewer",
  "usage.tasks": "viewer",
  "usage.agent": "viewer",
  "usage.town": "viewer",
  // An agent's or the town's daily budget needs admin (usage.test.ts).
  "usage.setBudget": "operator",
  "task.changes": "viewer",
  "review.requestChanges": "operator",
  "review.requestRebase": "operator",
  "review.approve": "operator",
  "review.merge": "operator",
  "review.discard": "operator",
  "message.send": "operator",
  "message.inbox": "viewer",
  "needs.list": "viewer",
  "needs.claim": "operator",
  "needs.release": "operator",
  "needs.answer": "operator",
  "needs.dismiss": "operator",
  "needs.webhookLog": "admin",
  "queue.list": "viewer",
  "queue.clean": "admin",
  "queue.retry": "admin",
  "queue.promote": "admin",
  "queue.pause": "admin",
  "queue.resume": "admin",
  "user.list": "admin",
  "user.add": "admin",
  "user.setRole": "admin",
  "user.remove": "admin",
  "user.createToken": "admin",
  "user.revokeToken": "admin",
};

/** Every procedure of the app router, from its definition. */
const PROCEDURES: { path: string; type: Kind }[] = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: Kind } }>,
).map(([path, p]) => ({
  path,
  type: p._def.type,
}));

const PW = "correct horse battery";
const ORIGIN = "http://tt.test";
let town: Town;
let open: Town;
const session: Record<string, string> = {};
let ciToken = "";

beforeAll(async () => {
  town = await testTown({}, "authapi");
  open = await testTown({}, "authopen");
  for (const [name, role] of [
    ["alice", "admin"],
    ["olga", "operator"],
    ["vic", "viewer"],
  ] as const) {
    await addUser(town, { name, role, password: PW, by: "cli" });
    session[name] = (await login(town, { name, password: PW, ip: "t" })).sessionId;
  }
  ciToken = (await createToken(town, { name: "ci-bot", role: "operator", by: "cli" })).token;
});
afterAll(async () => {
  closeLiveHubs(town);
  closeLiveHubs(open);
  await Promise.all([town.close(), open.close()]);
});

interface Call {
  path: string;
  type: Kind;
  input?: unknown;
  headers?: Record<string, string>;
  on?: Town;
  exposed?: boolean;
  /** The peer (127.0.0.1) is a trusted proxy (default), or not: then forwarding headers are not believed. */
  proxy?: "trusted" | "untrusted";
  /** Send a raw body instead of the JSON encoding of `input`. */
  body?: string;
}

/**
 * The reach a dashboard on 127.0.0.1:3000 would record for these headers from a peer on 127.0.0.1 — open access
 * decided by `exposed` (these tests address the server as tt.test), the rest by core's rule.
 */
function reachOf(headers: Headers, c: Call): Reach {
  const assessed = assessReach({
    listen: { address: "127.0.0.1", port: 3000 },
    peer: "127.0.0.1",
    headers,
    settings: { allowedHosts: [], trustedProxies: c.proxy === "untrusted" ? [] : ["127.0.0.1"] },
  });
  const exposed = c.exposed ?? false;
  return { ...assessed, local: !exposed, notLocal: exposed ? "it is not local" : null, misdirected: null };
}

/** One request through the fetch handler, as a browser or script sends it to the web server. */
async function http(c: Call) {
  const url = new URL(`${ORIGIN}/api/trpc/${c.path}`);
  const encoded = JSON.stringify(superjson.serialize(c.input ?? null));
  const headers = new Headers({ host: "tt.test", ...c.headers });
  let method = "GET";
  if (c.type === "mutation") {
    method = "POST";
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  } else if (c.input !== undefined) url.searchParams.set("input", encoded);
  const ac = new AbortController();
  const req = new Request(url, {
    method,
    headers,
    body: method === "POST" ? (c.body ?? encoded) : undefined,
    signal: ac.signal,
  });
  const res = await fetchRequestHandler({
    endpoint: "/api/trpc",
    router: appRouter,
    req,
    createContext: ({ resHeaders }) =>
      createContext({
        headers: req.headers,
        town: c.on ?? town,
        reach: reachOf(req.headers, c),
        transport: "http",
        resHeaders,
        url: req.url,
      }),
  });
  // A subscription that was refused answers with an error frame (or status); read a little, then hang up.
  const text = await readSome(res);
  ac.abort();
  return { status: res.status, text, headers: res.headers };
}

async function readSome(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  let out = "";
  const deadline = Date.now() + 1_000;
  while (Date.now() < deadline) {
    const next: { done: boolean; value?: Uint8Array } | null = await Promise.race([
      reader.read(),
      new Promise<null>((r) => setTimeout(() => r(null), 300)),
    ]);
    if (!next || next.done) break;
    out += new TextDecoder().decode(next.value);
    if (!(res.headers.get("content-type") ?? "").includes("event-stream")) continue;
    if (/event: serialized-error\ndata: .*\n/.test(out) || /event: return/.test(out)) break;
  }
  await reader.cancel().catch(() => undefined);
  return out;
}

const cookie = (name: string) => ({ cookie: `${SESSION_COOKIE}=${session[name]}` });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const sameOrigin = { origin: ORIGIN };

/** Whether the response is a refusal with this tRPC code (status for queries/mutations, an error frame for SSE). */
function refusedWith(r: { status: number; text: string }, code: "UNAUTHORIZED" | "FORBIDDEN"): boolean {
  const status = code === "UNAUTHORIZED" ? 401 : 403;
  return r.status === status || r.text.includes(`"${code}"`);
}

describe("the route walk", () => {
  test("every procedure of the router has a decided role", () => {
    expect(PROCEDURES.map((p) => p.path).sort()).toEqual(Object.keys(NEEDS).sort());
    expect(PROCEDURES.length).toBeGreaterThan(25);
  });

  test("with users, every non-public procedure refuses an unauthenticated request: over HTTP (queries, mutations, SSE) and in-process", async () => {
    const before = await dumpTown(town);
    const guarded = PROCEDURES.filter((p) => NEEDS[p.path] !== "public");
    for (const p of guarded) {
      const r = await http({ path: p.path, type: p.type, input: {}, headers: p.type === "mutation" ? sameOrigin : {} });
      expect(
        refusedWith(r, "UNAUTHORIZED"),
        `${p.type} ${p.path} without credentials → ${r.status} ${r.text.slice(0, 200)}`,
      ).toBe(true);
      const bad = await http({
        path: p.path,
        type: p.type,
        input: {},
        headers: { ...bearer("tt_forged"), ...sameOrigin },
      });
      expect(refusedWith(bad, "UNAUTHORIZED"), `${p.path} with a forged token`).toBe(true);
      const gone = await http({
        path: p.path,
        type: p.type,
        input: {},
        headers: { cookie: `${SESSION_COOKIE}=made-up`, ...sameOrigin },
      });
      expect(refusedWith(gone, "UNAUTHORIZED"), `${p.path} with an unknown session`).toBe(true);
    }
    const api = createCaller(createContext({ headers: new Headers({ cookie: "tt_name=mallory" }), town }));
    for (const p of guarded) {
      const fn = p.path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], api) as (
        i: unknown,
      ) => Promise<unknown>;
      await expect(fn({}), p.path).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    }
    expect(await dumpTown(town)).toEqual(before);
  });

  test("a viewer can call no mutation; an operator no admin procedure; each refusal is FORBIDDEN and changes nothing", async () => {
    const before = await dumpTown(town);
    for (const p of PROCEDURES.filter(
      (q) => q.type === "mutation" && NEEDS[q.path] !== "public" && NEEDS[q.path] !== "viewer",
    )) {
      const r = await http({ path: p.path, type: p.type, input: {}, headers: { ...cookie("vic"), ...sameOrigin } });
      expect(r.status, `viewer → ${p.path}: ${r.text.slice(0, 200)}`).toBe(403);
      expect(r.text).toContain("vic is a viewer");
    }
    for (const p of PROCEDURES.filter((q) => NEEDS[q.path] === "admin")) {
      const r = await http({ path: p.path, type: p.type, input: {}, headers: { ...cookie("olga"), ...sameOrigin } });
      expect(r.status, `operator → ${p.path}`).toBe(403);
      const t = await http({ path: p.path, type: p.type, input: {}, headers: bearer(ciToken) });
      expect(t.status, `operator token → ${p.path}`).toBe(403);
    }
    expect(await dumpTown(town)).toEqual(before);
    // The allowed ones get past auth: bad input is a 400, not a 401/403.
    for (const p of PROCEDURES.filter((q) => q.type === "query" && NEEDS[q.path] === "viewer")) {
      const r = await http({
        path: p.path,
        type: p.type,
        input: { bogus: 1, agent: "nobody", taskId: "nothing", mailbox: "nobody" },
        headers: cookie("vic"),
      });
      expect([200, 400, 404], `viewer → ${p.path}: ${r.status} ${r.text.slice(0, 200)}`).toContain(r.status);
    }
  });

  test("without users, on loopback, everything stays open and changes are attributed to the display name", async () => {
    const api = createCaller(createContext({ headers: new Headers({ cookie: "tt_name=zoe" }), town: open }));
    expect(await api.auth.me()).toMatchObject({
      required: false,
      hasUsers: false,
      principal: { kind: "open", name: "zoe" },
    });
    const task = await api.task.create({ description: "open access" });
    expect(task.createdBy).toBe("zoe");
    const r = await http({ path: "town.status", type: "query", on: open });
    expect(r.status).toBe(200);
  });

  test("beyond loopback with no users, everything is refused and says how to add an admin", async () => {
    for (const p of PROCEDURES.filter((q) => NEEDS[q.path] !== "public")) {
      const r = await http({
        path: p.path,
        type: p.type,
        input: {},
        on: open,
        exposed: true,
        headers: p.type === "mutation" ? sameOrigin : {},
      });
      expect(refusedWith(r, "UNAUTHORIZED"), p.path).toBe(true);
    }
    const r = await http({ path: "town.status", type: "query", on: open, exposed: true });
    expect(r.text).toContain("tt user add <name> --role admin");
  });
});

describe("the HTTP gate in front of the handler", () => {
  test("its public list is exactly the public procedures; every other path (SSE included) gets a plain 401 without credentials", async () => {
    expect([...PUBLIC_PROCEDURES].sort()).toEqual(
      Object.keys(NEEDS)
        .filter((p) => NEEDS[p] === "public")
        .sort(),
    );
    const gate = (path: string, headers: Record<string, string> = {}) =>
      trpcGate(new Request(`${ORIGIN}/api/trpc/${path}`, { headers }), {
        endpoint: "/api/trpc",
        town,
        reach: IN_PROCESS_REACH,
      });
    for (const p of PROCEDURES) {
      const res = await gate(p.path);
      if (NEEDS[p.path] === "public") expect(res, p.path).toBeNull();
      else expect(res?.status, p.path).toBe(401);
    }
    expect((await gate("health.ping,town.status"))?.status).toBe(401);
    expect(await gate("town.events", cookie("vic"))).toBeNull();
    expect(await gate("town.events", bearer(ciToken))).toBeNull();
    expect((await gate("town.events", bearer("tt_forged")))?.status).toBe(401);
    const openGate = await trpcGate(new Request(`${ORIGIN}/api/trpc/town.events`), {
      endpoint: "/api/trpc",
      town: open,
      reach: IN_PROCESS_REACH,
    });
    expect(openGate).toBeNull();
  });
});

describe("attribution", () => {
  test("the principal is the actor: a user by name, a token as token:<name>; the tt_name cookie is ignored once users exist", async () => {
    const asOlga = await http({
      path: "task.create",
      type: "mutation",
      input: { description: "by olga" },
      headers: { ...cookie("olga"), ...sameOrigin, cookie: `${cookie("olga").cookie}; tt_name=impostor` },
    });
    expect(asOlga.status).toBe(200);
    const asBot = await http({
      path: "task.create",
      type: "mutation",
      input: { description: "by the bot" },
      headers: bearer(ciToken),
    });
    expect(asBot.status).toBe(200);
    const tasks = await listTasks(town, { limit: 10 });
    const by = Object.fromEntries(tasks.items.map((t) => [t.description, t.createdBy]));
    expect(by).toMatchObject({ "by olga": "olga", "by the bot": "token:ci-bot" });
    const api = createCaller(createContext({ headers: new Headers(cookie("vic")), town }));
    const audit = await api.town.audit({ by: "token:ci-bot" });
    expect(audit.events.map((e) => [e.type, e.by])).toEqual([["task.created", "token:ci-bot"]]);
    const one = tasks.items.find((t) => t.createdBy === "olga")!;
    expect((await getTask(town, one.id)).createdBy).toBe("olga");
  });
});

describe("CSRF: changes must come from this origin", () => {
  test("a cross-origin POST is refused even with a valid session cookie; same origin (or Referer) passes; a token needs no Origin", async () => {
    const before = await dumpTown(town);
    const evil = await http({
      path: "task.create",
      type: "mutation",
      input: { description: "csrf" },
      headers: { ...cookie("alice"), origin: "https://evil.example" },
    });
    expect(evil.status).toBe(403);
    expect(evil.text).toContain("cross-site request refused");
    // What an HTML form on another site sends: urlencoded or text/plain, Origin of that site.
    for (const type of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]) {
      const form = await http({
        path: "task.create",
        type: "mutation",
        body: type.startsWith("multipart")
          ? '--x\r\nContent-Disposition: form-data; name="description"\r\n\r\ncsrf\r\n--x--\r\n'
          : "description=csrf",
        headers: { ...cookie("alice"), origin: "https://evil.example", "content-type": type },
      });
      expect(form.status, type).toBeGreaterThanOrEqual(400);
    }
    const noOrigin = await http({
      path: "task.create",
      type: "mutation",
      input: { description: "csrf" },
      headers: cookie("alice"),
    });
    expect(noOrigin.status).toBe(403);
    const nullOrigin = await http({
      path: "task.create",
      type: "mutation",
      input: { description: "csrf" },
      headers: { ...cookie("alice"), origin: "null" },
    });
    expect(nullOrigin.status).toBe(403);
    const badReferer = await http({
      path: "task.create",
      type: "mutation",
      input: { description: "csrf" },
      headers: { ...cookie("alice"), referer: "https://evil.example/tt.test" },
    });
    expect(badReferer.status).toBe(403);
    expect(await dumpTown(town)).toEqual(before);

    const ok = await http({
      path: "task.create",
      type: "mutation",
      input: { description: "same origin" },
      headers: { ...cookie("alice"), ...sameOrigin },
    });
    expect(ok.status).toBe(200);
    const referer = await http({
      path: "task.create",
      type: "mutation",
      input: { description: "same referer" },
      headers: { ...cookie("alice"), referer: `${ORIGIN}/tasks/x` },
    });
    expect(referer.status).toBe(200);
    // Behind a reverse proxy the public host arrives as X-Forwarded-Host.
    const proxied = await http({
      path: "task.create",
      type: "mutation",
      input: { description: "proxied" },
      headers: {
        ...cookie("alice"),
        origin: "https://tt.example.com",
        "x-forwarded-host": "tt.example.com",
        host: "127.0.0.1:3000",
      },
    });
    expect(proxied.status).toBe(200);
    // From a peer that is not a trusted proxy, X-Forwarded-Host is not believed: the Host header decides.
    const forged = await http({
      path: "task.create",
      type: "mutation",
      input: { description: "forged host" },
      proxy: "untrusted",
      headers: {
        ...cookie("alice"),
        origin: "https://evil.example",
        "x-forwarded-host": "evil.example",
        host: "127.0.0.1:3000",
      },
    });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain("cross-site request refused");
    // Also with open access: a page on another site cannot drive a loopback dashboard.
    const openEvil = await http({
      path: "task.create",
      type: "mutation",
      input: { description: "csrf" },
      on: open,
      headers: { origin: "https://evil.example" },
    });
    expect(openEvil.status).toBe(403);
  });
});

describe("sign-in over HTTP", () => {
  test("login sets an HTTP-only SameSite cookie (Secure behind https); that cookie works; logout ends it", async () => {
    await addUser(town, { name: "lena", role: "viewer", password: PW, by: "cli" });
    const wrong = await http({
      path: "auth.login",
      type: "mutation",
      input: { name: "lena", password: "nope-nope" },
      headers: sameOrigin,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const r = await http({
      path: "auth.login",
      type: "mutation",
      input: { name: "lena", password: PW },
      headers: { ...sameOrigin, "x-forwarded-proto": "https" },
    });
    expect(r.status).toBe(200);
    expect(r.text).not.toMatch(/tt_session/);
    const set = r.headers.get("set-cookie")!;
    expect(set).toMatch(
      new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{40,}; Path=/; HttpOnly; SameSite=Lax; Max-Age=\\d+; Secure$`),
    );
    const plain = await http({
      path: "auth.login",
      type: "mutation",
      input: { name: "lena", password: PW },
      headers: sameOrigin,
    });
    expect(plain.headers.get("set-cookie")).not.toContain("Secure");
    // X-Forwarded-Proto from a peer that is not a trusted proxy says nothing.
    const claimed = await http({
      path: "auth.login",
      type: "mutation",
      input: { name: "lena", password: PW },
      proxy: "untrusted",
      headers: { ...sameOrigin, "x-forwarded-proto": "https" },
    });
    expect(claimed.status).toBe(200);
    expect(claimed.headers.get("set-cookie")).not.toContain("Secure");
    const id = set.split(";")[0]!;
    const me = await http({ path: "auth.me", type: "query", headers: { cookie: id } });
    expect(me.text).toContain('"name":"lena"');
    const cross = await http({
      path: "auth.login",
      type: "mutation",
      input: { name: "lena", password: PW },
      headers: { origin: "https://evil.example" },
    });
    expect(cross.status).toBe(403);
    const out = await http({ path: "auth.logout", type: "mutation", headers: { cookie: id, ...sameOrigin } });
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await http({ path: "town.status", type: "query", headers: { cookie: id } })).status).toBe(401);
  });

  test("login backs off: after the free failures from one address, even the right password is refused for a while", async () => {
    await addUser(town, { name: "rita", role: "viewer", password: PW, by: "cli" });
    const from = { ...sameOrigin, "x-forwarded-for": "203.0.113.9" };
    for (let i = 0; i < LOGIN_POLICY.pair.free; i++) {
      expect(
        (
          await http({
            path: "auth.login",
            type: "mutation",
            input: { name: "rita", password: `guess-${i}-xx` },
            headers: from,
          })
        ).status,
      ).toBe(401);
    }
    const r = await http({
      path: "auth.login",
      type: "mutation",
      input: { name: "rita", password: PW },
      headers: from,
    });
    expect(r.status).toBe(401);
    expect(r.text).toContain('too many failed sign-ins for \\"rita\\" from this address: try again in 1 s');
    expect(r.text).toContain('"reason":"rate_limited"');
    expect(r.headers.get("set-cookie")).toBeNull();
    // Without a trusted proxy, a forged X-Forwarded-For is not a new address: the socket's peer counts.
    await addUser(town, { name: "rudi", role: "viewer", password: PW, by: "cli" });
    for (let i = 0; i < LOGIN_POLICY.pair.free; i++) {
      const forged = { ...sameOrigin, "x-forwarded-for": `198.51.100.${i}` };
      const res = await http({
        path: "auth.login",
        type: "mutation",
        input: { name: "rudi", password: `guess-${i}-xx` },
        proxy: "untrusted",
        headers: forged,
      });
      expect(res.status).toBe(401);
    }
    const last = await http({
      path: "auth.login",
      type: "mutation",
      input: { name: "rudi", password: PW },
      proxy: "untrusted",
      headers: { ...sameOrigin, "x-forwarded-for": "198.51.100.200" },
    });
    expect(last.text).toContain('too many failed sign-ins for \\"rudi\\" from this address');
  });

  test("sign out everywhere ends every session of the user", async () => {
    await addUser(town, { name: "ezra", role: "operator", password: PW, by: "cli" });
    const ids = await Promise.all(
      [1, 2, 3].map(async (i) => (await login(town, { name: "ezra", password: PW, ip: `e${i}` })).sessionId),
    );
    for (const id of ids)
      expect(
        (await http({ path: "town.status", type: "query", headers: { cookie: `${SESSION_COOKIE}=${id}` } })).status,
      ).toBe(200);
    const r = await http({
      path: "auth.logoutEverywhere",
      type: "mutation",
      headers: { cookie: `${SESSION_COOKIE}=${ids[0]}`, ...sameOrigin },
    });
    expect(r.status).toBe(200);
    expect(r.text).toContain('"ended":3');
    for (const id of ids)
      expect(
        (await http({ path: "town.status", type: "query", headers: { cookie: `${SESSION_COOKIE}=${id}` } })).status,
      ).toBe(401);
  });
});
