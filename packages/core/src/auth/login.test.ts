/**
 * Sign-in throttling, password hashing cost and upgrades, password changes and session renewal, on a real Redis.
 * Hashes here cost what they cost in production (scrypt N=2^17): the tests keep their count small.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";

import { readEvents } from "../channel/events";
import { testTown } from "../testing";
import { expectCoreError, expectRefusedUnchanged, sleep } from "../testing/inspect";
import type { Town } from "../town/town";
import { changePassword, login } from "./login";
import {
  HASH_CONCURRENCY,
  hashPassword,
  needsRehash,
  passwordHashStats,
  SCRYPT_PARAMS,
  verifyPassword,
} from "./password";
import { createSession, endSession, SESSION_TTL_MS } from "./session-store";
import { resolveSession, touchSession } from "./sessions";
import { clientKey, LOGIN_POLICY, unlockUser, type LoginPolicy } from "./throttle";
import { addUser, findStoredUser, setPassword } from "./users";

let town: Town;
beforeEach(async () => {
  town = await testTown({}, "login");
});
// Real scrypt cost (~0.4 s a hash, two at a time) on a shared machine.
vi.setConfig({ testTimeout: 60_000 });
afterEach(() => town.close());

const PW = "correct horse battery";
const hashes = () => passwordHashStats().computed;

/**
 * The policy's numbers with waits 30 times longer: for tests that assert a backoff still holds, so that a slow,
 * shared machine cannot outlast it between two steps.
 */
const SLOW_POLICY: LoginPolicy = {
  ...LOGIN_POLICY,
  pair: { ...LOGIN_POLICY.pair, baseMs: 30_000 },
  client: { ...LOGIN_POLICY.client, baseMs: 30_000 },
  user: { ...LOGIN_POLICY.user, baseMs: 30_000, capMs: 900_000 },
};

/** Tries a sign-in and returns how it ended: "ok", "wrong", or the refusal's details. */
async function attempt(name: string, password: string, ip: string, policy?: LoginPolicy) {
  try {
    await login(town, { name, password, ip }, { policy });
    return { outcome: "ok" as const };
  } catch (err) {
    const e = err as { code?: string; details?: { reason?: string; retryAfterMs?: number; scope?: string } };
    if (e.details?.reason === "bad_credentials") return { outcome: "wrong" as const };
    if (e.details?.reason === "rate_limited")
      return { outcome: "wait" as const, ms: e.details.retryAfterMs!, scope: e.details.scope, error: err as Error };
    throw err;
  }
}

describe("sign-in backoff", () => {
  test("five failures are free; then each waits 1 s, 2 s …; a refused attempt hashes nothing; no lockout", async () => {
    await addUser(town, { name: "alice", role: "admin", password: PW, by: "cli" });
    for (let i = 0; i < LOGIN_POLICY.pair.free; i++)
      expect(await attempt("alice", `guess-${i}`, "6.6.6.6")).toEqual({ outcome: "wrong" });

    const before = hashes();
    const refused = await attempt("alice", PW, "6.6.6.6"); // even the right password, during the backoff
    expect(refused).toMatchObject({ outcome: "wait", scope: "pair" });
    expect(refused.outcome === "wait" && refused.ms).toBeLessThanOrEqual(1_000);
    expect(refused.outcome === "wait" && refused.error.message).toBe(
      'too many failed sign-ins for "alice" from this address: try again in 1 s',
    );
    const burst = await Promise.all(Array.from({ length: 20 }, () => attempt("alice", "guess", "6.6.6.6")));
    expect(burst.every((r) => r.outcome === "wait")).toBe(true);
    expect(hashes()).toBe(before);

    await sleep(refused.outcome === "wait" ? refused.ms : 0);
    expect(await attempt("alice", "guess-6", "6.6.6.6")).toEqual({ outcome: "wrong" });
    const second = await attempt("alice", PW, "6.6.6.6");
    expect(second).toMatchObject({ outcome: "wait" });
    expect(second.outcome === "wait" && second.ms).toBeGreaterThan(1_000);
    expect(second.outcome === "wait" && second.ms).toBeLessThanOrEqual(2_000);

    // Once the wait is over the right password works, and success forgets this address's failures.
    await sleep(second.outcome === "wait" ? second.ms : 0);
    expect(await attempt("alice", PW, "6.6.6.6")).toEqual({ outcome: "ok" });
    expect(await attempt("alice", "one-typo", "6.6.6.6")).toEqual({ outcome: "wrong" });
    expect(await attempt("alice", PW, "6.6.6.6")).toEqual({ outcome: "ok" });
  });

  test("an attacker hammering the admin from other addresses cannot keep the admin out", async () => {
    await addUser(town, { name: "root", role: "admin", password: PW, by: "cli" });
    const hammer = (ip: string) =>
      Promise.all(Array.from({ length: 40 }, (_, i) => attempt("root", `guess-${i}`, ip, SLOW_POLICY)));
    const wrong = (rs: { outcome: string }[]) => rs.filter((r) => r.outcome === "wrong").length;
    // One address hammering in parallel: only its free failures get hashed.
    const before = hashes();
    expect(wrong(await hammer("203.0.113.66"))).toBe(LOGIN_POLICY.pair.free);
    expect(hashes() - before).toBe(LOGIN_POLICY.pair.free);
    // Once the account is past its free failures, each further attacking address gets one guess, then waits.
    expect(wrong(await hammer("203.0.113.67"))).toBe(LOGIN_POLICY.pair.free);
    expect(wrong(await hammer("203.0.113.68"))).toBe(1);
    expect(wrong(await hammer("203.0.113.69"))).toBe(1);

    // The admin at their own address gets straight in.
    expect(await attempt("root", PW, "192.0.2.10", SLOW_POLICY)).toEqual({ outcome: "ok" });
    // A typo while the account is under attack costs a wait, but a bounded one (the per-user cap).
    expect(await attempt("root", "typo-typo", "192.0.2.11", SLOW_POLICY)).toEqual({ outcome: "wrong" });
    const held = await attempt("root", PW, "192.0.2.11", SLOW_POLICY);
    expect(held).toMatchObject({ outcome: "wait", scope: "user" });
    expect(held.outcome === "wait" && held.ms).toBeLessThanOrEqual(SLOW_POLICY.user.capMs);
    expect(held.outcome === "wait" && held.error.message).toMatch(
      /^too many failed sign-ins for "root": try again in \d+ s$/,
    );
  });

  test("one address trying many user names is slowed too, whether or not the names exist", async () => {
    const names = Array.from({ length: LOGIN_POLICY.client.free }, (_, i) => `nobody-${i}`);
    for (let i = 0; i < names.length; i += HASH_CONCURRENCY) {
      const batch = names
        .slice(i, i + HASH_CONCURRENCY)
        .map((n) => attempt(n, "spray-pass", "198.51.100.7", SLOW_POLICY));
      expect(await Promise.all(batch)).toEqual(batch.map(() => ({ outcome: "wrong" })));
    }
    const refused = await attempt("someone-else", "spray-pass", "198.51.100.7", SLOW_POLICY);
    expect(refused).toMatchObject({ outcome: "wait", scope: "client" });
    expect(refused.outcome === "wait" && refused.error.message).toMatch(
      /^too many failed sign-ins from this address: try again in (29|30) s$/,
    );
    // The same message for a name that exists: the throttle tells nothing about which names are real.
    await addUser(town, { name: "real", role: "viewer", password: PW, by: "cli" });
    expect(await attempt("real", "spray-pass", "198.51.100.7", SLOW_POLICY)).toMatchObject({
      outcome: "wait",
      scope: "client",
    });
  });

  test("tt user unlock clears a user's failures at once, and is audited", async () => {
    await addUser(town, { name: "bob", role: "operator", password: PW, by: "cli" });
    for (let i = 0; i < LOGIN_POLICY.pair.free; i++) await attempt("bob", `guess-${i}`, "10.0.0.9");
    expect(await attempt("bob", PW, "10.0.0.9")).toMatchObject({ outcome: "wait" });
    await unlockUser(town, { name: "BOB", by: "root" });
    expect(await attempt("bob", PW, "10.0.0.9")).toEqual({ outcome: "ok" });
    const events = (await readEvents(town)).filter((e) => e.type === "user.unlocked");
    expect(events.map((e) => [e.by, e.user])).toEqual([["root", "bob"]]);
    await expectRefusedUnchanged(town, () => unlockUser(town, { name: "ghost", by: "cli" }), "NOT_FOUND");
  });

  test("clients: IPv4 as is (also IPv4-mapped), IPv6 by its /64", () => {
    expect(clientKey("203.0.113.9")).toBe("203.0.113.9");
    expect(clientKey("::ffff:203.0.113.9")).toBe("203.0.113.9");
    expect(clientKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(clientKey("[2001:0db8:0001:0002:ffff:1:2:3]")).toBe("2001:db8:1:2::/64");
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
    expect(clientKey("")).toBe("unknown");
  });
});

describe("password hashing", () => {
  test(`scrypt N=2^17, r=8, p=1 stored in the hash; at most ${HASH_CONCURRENCY} hashes run at once`, async () => {
    const started = performance.now();
    const one = await hashPassword(PW);
    const ms = performance.now() - started;
    expect(one).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(SCRYPT_PARAMS).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    console.log(`one scrypt hash (N=2^17, r=8, p=1): ${ms.toFixed(0)} ms`);

    const before = passwordHashStats();
    // One more than the gate lets through: the last waits one hash (not several, which on a loaded machine could
    // outlast the gate's 10 s wait and fail for a reason this test is not about).
    const n = HASH_CONCURRENCY + 1;
    const burst = await Promise.all(Array.from({ length: n }, (_, i) => verifyPassword(i === 0 ? PW : "nope", one)));
    expect(burst).toEqual([true, ...Array.from({ length: n - 1 }, () => false)]);
    const after = passwordHashStats();
    expect(after.computed - before.computed).toBe(n);
    expect(after.peak).toBe(HASH_CONCURRENCY);
    expect(after.running).toBe(0);
  });

  test("a malformed or absurd stored hash verifies as false without computing anything", async () => {
    const before = hashes();
    for (const bad of [
      "garbage",
      "scrypt$3$8$1$c2FsdA==$aGFzaA==",
      `scrypt$${2 ** 30}$8$1$c2FsdHNhbHQ=$${"A".repeat(44)}`,
    ])
      expect(await verifyPassword(PW, bad)).toBe(false);
    expect(hashes()).toBe(before);
  });

  test("a hash made with older parameters is upgraded on sign-in; the password keeps working", async () => {
    await addUser(town, { name: "old", role: "viewer", password: PW, by: "cli" });
    // What a town created before the upgrade holds: N=2^14.
    const legacy = await hashPassword(PW, { N: 2 ** 14, r: 8, p: 1 });
    const stored = (await findStoredUser(town, "old"))!;
    await town.redis.hset(town.keys.users, "old", JSON.stringify({ ...stored, passwordHash: legacy }));
    expect(needsRehash(legacy)).toBe(true);

    expect(await attempt("old", "wrong-password", "10.1.1.1")).toEqual({ outcome: "wrong" });
    expect((await findStoredUser(town, "old"))!.passwordHash).toBe(legacy); // not on a failure
    expect(await attempt("old", PW, "10.1.1.1")).toEqual({ outcome: "ok" });
    const upgraded = (await findStoredUser(town, "old"))!.passwordHash;
    expect(upgraded).not.toBe(legacy);
    expect(upgraded).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(needsRehash(upgraded)).toBe(false);
    expect(await attempt("old", PW, "10.1.1.1")).toEqual({ outcome: "ok" });
    expect((await findStoredUser(town, "old"))!.passwordHash).toBe(upgraded);
  });
});

describe("password changes", () => {
  test("an admin's reset ends every session of the user; the old password stops working", async () => {
    await addUser(town, { name: "ada", role: "operator", password: PW, by: "cli" });
    const s1 = (await login(town, { name: "ada", password: PW, ip: "1.1.1.1" })).sessionId;
    const s2 = await createSession(town, "ada");
    const r = await setPassword(town, { name: "ada", password: "a-new-password", by: "root" });
    expect(r).toMatchObject({ user: { name: "ada" }, endedSessions: 2 });
    expect(await resolveSession(town, s1)).toBeNull();
    expect(await resolveSession(town, s2)).toBeNull();
    expect(await attempt("ada", PW, "1.1.1.1")).toEqual({ outcome: "wrong" });
    expect(await attempt("ada", "a-new-password", "1.1.1.1")).toEqual({ outcome: "ok" });
    expect((await readEvents(town)).filter((e) => e.type === "user.password").map((e) => [e.by, e.user])).toEqual([
      ["root", "ada"],
    ]);
    await expectRefusedUnchanged(
      town,
      () => setPassword(town, { name: "ada", password: "short", by: "cli" }),
      "VALIDATION",
    );
    await expectRefusedUnchanged(
      town,
      () => setPassword(town, { name: "nobody", password: PW, by: "cli" }),
      "NOT_FOUND",
    );
  });

  test("a user's own change needs the current password, keeps their session and ends the others", async () => {
    await addUser(town, { name: "lin", role: "viewer", password: PW, by: "cli" });
    const mine = (await login(town, { name: "lin", password: PW, ip: "1.1.1.1" })).sessionId;
    const other = (await login(town, { name: "lin", password: PW, ip: "2.2.2.2" })).sessionId;
    const hashBefore = (await findStoredUser(town, "lin"))!.passwordHash;
    const wrong = await expectCoreError(
      () =>
        changePassword(town, {
          name: "lin",
          currentPassword: "not-my-password",
          newPassword: "a-new-password",
          ip: "1.1.1.1",
          keepSession: mine,
        }),
      "VALIDATION",
    );
    expect(wrong.message).toBe("the current password is wrong; nothing was changed");
    expect((await findStoredUser(town, "lin"))!.passwordHash).toBe(hashBefore);
    expect(await resolveSession(town, other)).not.toBeNull();

    const r = await changePassword(town, {
      name: "lin",
      currentPassword: PW,
      newPassword: "a-new-password",
      ip: "1.1.1.1",
      keepSession: mine,
    });
    expect(r.endedSessions).toBe(1);
    expect(await resolveSession(town, mine)).toMatchObject({ name: "lin" });
    expect(await resolveSession(town, other)).toBeNull();
    expect(await attempt("lin", "a-new-password", "1.1.1.1")).toEqual({ outcome: "ok" });
    const ev = (await readEvents(town)).filter((e) => e.type === "user.password");
    expect(ev.map((e) => [e.by, e.user])).toEqual([["lin", "lin"]]);
  });

  test("a wrong current password counts as a failed sign-in (a borrowed session cannot guess it freely)", async () => {
    await addUser(town, { name: "kim", role: "viewer", password: PW, by: "cli" });
    const guess = (i: number) =>
      changePassword(town, { name: "kim", currentPassword: `guess-${i}`, newPassword: "whatever-new", ip: "9.9.9.9" });
    for (let i = 0; i < LOGIN_POLICY.pair.free; i++) await expectCoreError(() => guess(i), "VALIDATION");
    const err = await expectCoreError(() => guess(99), "UNAUTHORIZED");
    expect(err.details).toMatchObject({ reason: "rate_limited" });
  });
});

describe("sessions slide", () => {
  test("a session in use is renewed at most once an hour, and says so (for the cookie)", async () => {
    await addUser(town, { name: "sam", role: "viewer", password: PW, by: "cli" });
    const id = (await login(town, { name: "sam", password: PW, ip: "1" })).sessionId;
    expect(await touchSession(town, id)).toMatchObject({ renewed: false, principal: { name: "sam" } });
    const key = town.keys.session((await import("./secret")).digest(id));
    await town.redis.pexpire(key, SESSION_TTL_MS - 2 * 3600_000);
    const renewed = await touchSession(town, id);
    expect(renewed).toMatchObject({ renewed: true });
    expect(renewed!.expiresAt).toBeGreaterThan(Date.now() + SESSION_TTL_MS - 60_000);
    expect(await town.redis.pttl(key)).toBeGreaterThan(SESSION_TTL_MS - 60_000);
    expect(await touchSession(town, id)).toMatchObject({ renewed: false });
    await endSession(town, id);
    expect(await touchSession(town, id)).toBeNull();
  });
});
