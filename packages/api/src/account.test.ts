/**
 * The signed-in user's own account over the real HTTP handler: changing the password, and the session cookie
 * that is sent again whenever the session slides, so an active user is never signed out.
 */
import { createHash } from "node:crypto";

import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";

import {
  addUser,
  createSession,
  createToken,
  HASH_CONCURRENCY,
  hashPassword,
  readEvents,
  REDIS_DEADLINE_MS,
  SESSION_RENEW_EVERY_MS,
  SESSION_TTL_MS,
  type Town,
} from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";

import { createContext, SESSION_COOKIE } from "./context";
import { closeLiveHubs } from "./live/hub";
import { appRouter } from "./root";

const ORIGIN = "http://tt.test";
const PW = "correct horse battery";
let town: Town;

// Real scrypt cost (~0.4 s a hash) on a shared machine.
vi.setConfig({ testTimeout: 60_000 });

beforeAll(async () => {
  town = await testTown({}, "account");
});
afterAll(async () => {
  closeLiveHubs(town);
  await town.close();
});

/** One request through the fetch handler, as the dashboard sends it (same origin; plain, non-streamed responses). */
async function http(path: string, opts: { input?: unknown; mutation?: boolean; headers?: Record<string, string> }) {
  const url = new URL(`${ORIGIN}/api/trpc/${path}`);
  const encoded = JSON.stringify(superjson.serialize(opts.input ?? null));
  if (!opts.mutation && opts.input !== undefined) url.searchParams.set("input", encoded);
  const headers = new Headers({ host: "tt.test", origin: ORIGIN, ...opts.headers });
  if (opts.mutation) headers.set("content-type", "application/json");
  const ac = new AbortController();
  const req = new Request(url, {
    method: opts.mutation ? "POST" : "GET",
    headers,
    body: opts.mutation ? encoded : undefined,
    signal: ac.signal,
  });
  const res = await fetchRequestHandler({
    endpoint: "/api/trpc",
    router: appRouter,
    req,
    createContext: ({ resHeaders }) =>
      createContext({ headers: req.headers, town, transport: "http", resHeaders, url: req.url }),
  });
  // An SSE response never ends by itself: read its first frame, then hang up.
  const text = res.headers.get("content-type")?.includes("event-stream") ? await firstChunk(res) : await res.text();
  ac.abort();
  return { status: res.status, text, setCookie: res.headers.getSetCookie() };
}

async function firstChunk(res: Response): Promise<string> {
  const reader = res.body!.getReader();
  const { value } = (await reader.read()) as { value?: Uint8Array };
  await reader.cancel().catch(() => undefined);
  return new TextDecoder().decode(value);
}

const cookie = (id: string) => ({ cookie: `${SESSION_COOKIE}=${id}` });
const maxAge = (setCookie: string[]) => Number(/Max-Age=(\d+)/.exec(setCookie.join("; "))?.[1]);

describe("changing one's own password", () => {
  test("needs the current password, keeps this browser signed in and signs out every other session", async () => {
    await addUser(town, { name: "ada", role: "operator", password: PW, by: "cli" });
    const here = await createSession(town, "ada");
    const laptop = await createSession(town, "ada");
    const change = (currentPassword: string, newPassword: string) =>
      http("auth.changePassword", { mutation: true, input: { currentPassword, newPassword }, headers: cookie(here) });

    const wrong = await change("not-the-password", "brand-new-password");
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain("the current password is wrong; nothing was changed");
    const short = await change(PW, "short");
    expect(short.status).toBe(400);
    expect(short.text).toContain("a password has at least 8 characters");
    expect((await http("town.status", { headers: cookie(laptop) })).status).toBe(200);

    const ok = await change(PW, "brand-new-password");
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('"endedSessions":1');
    expect((await http("town.status", { headers: cookie(here) })).status).toBe(200);
    expect((await http("town.status", { headers: cookie(laptop) })).status).toBe(401);

    const oldPw = await http("auth.login", { mutation: true, input: { name: "ada", password: PW } });
    expect(oldPw.status).toBe(401);
    const newPw = await http("auth.login", { mutation: true, input: { name: "ada", password: "brand-new-password" } });
    expect(newPw.status).toBe(200);
    const audit = (await readEvents(town)).filter((e) => e.type === "user.password");
    expect(audit.map((e) => [e.by, e.user])).toEqual([["ada", "ada"]]);
  });

  test("a token has no password to change; without credentials it is refused", async () => {
    const { token } = await createToken(town, { name: "deploy", role: "admin", by: "cli" });
    const input = { currentPassword: PW, newPassword: "brand-new-password" };
    const byToken = await http("auth.changePassword", {
      mutation: true,
      input,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(byToken.status).toBe(400);
    expect(byToken.text).toContain("only a signed-in user has a password to change");
    expect((await http("auth.changePassword", { mutation: true, input })).status).toBe(401);
  });
});

describe("sign-in under load", () => {
  test("a sign-in that waits for a hash slot longer than the 3 s Redis deadline still answers (not a 503)", async () => {
    await addUser(town, { name: "burst", role: "viewer", password: PW, by: "cli" });
    // Keep the process's hash slots busy for about 4 s: past the 3 s deadline, well under the 10 s a hash may wait
    // for its turn. One round (every slot busy at once) is timed first, as the machine is now.
    const t0 = performance.now();
    await Promise.all(Array.from({ length: HASH_CONCURRENCY }, () => hashPassword("measure")));
    const rounds = Math.ceil((REDIS_DEADLINE_MS + 1_000) / (performance.now() - t0));
    const busy = Array.from({ length: rounds * HASH_CONCURRENCY }, () => hashPassword("busy"));
    const r = await http("auth.login", { mutation: true, input: { name: "burst", password: PW } });
    await Promise.all(busy);
    expect(r.text).not.toContain("did not answer");
    expect(r.status).toBe(200);
  });
});

describe("the session cookie follows the sliding session", () => {
  /** A session of `user` whose last renewal was `agoMs` ago. */
  async function sessionRenewedAgo(user: string, agoMs: number): Promise<string> {
    const id = await createSession(town, user);
    const hash = createHash("sha256").update(id).digest("hex"); // Redis keeps only the id's SHA-256
    await town.redis.pexpire(town.keys.session(hash), SESSION_TTL_MS - agoMs);
    return id;
  }

  test("a request that renews the session sends the cookie again with a full Max-Age; at most once an hour", async () => {
    await addUser(town, { name: "vic", role: "viewer", password: PW, by: "cli" });
    const id = await sessionRenewedAgo("vic", 6 * 24 * 3600_000); // signed in six days ago, busy ever since
    const first = await http("town.status", { headers: cookie(id) });
    expect(first.status).toBe(200);
    expect(first.setCookie).toHaveLength(1);
    expect(first.setCookie[0]).toMatch(
      new RegExp(`^${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=`),
    );
    expect(maxAge(first.setCookie)).toBeGreaterThan(SESSION_TTL_MS / 1000 - 60);
    const again = await http("town.status", { headers: cookie(id) });
    expect(again.setCookie).toEqual([]);

    // A live stream that starts with a due session carries the cookie too.
    const stale = await sessionRenewedAgo("vic", SESSION_RENEW_EVERY_MS + 60_000);
    const sse = await http("town.events", { headers: cookie(stale) });
    expect(sse.status).toBe(200);
    expect(sse.text).toContain("event: connected");
    expect(maxAge(sse.setCookie)).toBeGreaterThan(SESSION_TTL_MS / 1000 - 60);
  });

  test("auth.me (the dashboard's keep-alive) always sends the cookie with the session's remaining life", async () => {
    await addUser(town, { name: "wes", role: "viewer", password: PW, by: "cli" });
    const fresh = await sessionRenewedAgo("wes", 10 * 60_000);
    const me = await http("auth.me", { headers: cookie(fresh) });
    expect(me.text).toContain('"name":"wes"');
    const left = maxAge(me.setCookie);
    expect(left).toBeLessThanOrEqual(SESSION_TTL_MS / 1000 - 10 * 60 + 1);
    expect(left).toBeGreaterThan(SESSION_TTL_MS / 1000 - 11 * 60);
    // Without a session, nothing is set.
    expect((await http("auth.me", {})).setCookie).toEqual([]);
  });
});
