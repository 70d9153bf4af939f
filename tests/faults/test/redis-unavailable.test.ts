/**
 * Redis paused (`CLIENT PAUSE 5000 ALL`) or unreachable (its process stopped) for 5 s: every API call through the
 * HTTP handler settles within a bounded time, with its result or a clear 503 (SERVICE_UNAVAILABLE, JSON, saying
 * Redis is unreachable) — never a 500, never a hang — and everything works again afterwards.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTask, spawnAgent } from "@tinytown/core";
import { httpCall, type CallResult } from "../src/api";
import { Harness, sleep } from "../src/harness";
import { checkInvariants } from "../src/invariants";
import { report } from "../src/report";

let h: Harness;
beforeAll(async () => {
  h = await Harness.create();
  await spawnAgent(h.town, { name: "w0", model: "work", by: "faults" });
  for (let i = 0; i < 5; i++)
    h.ledger.task((await createTask(h.town, { description: `before ${i}`, by: "faults" })).id, ["pending", "assigned"]);
});
afterAll(async () => h?.close());

/** The longest an API call may take while Redis is away (the outage itself lasts 5 s). */
const BOUND_MS = 4_000;
const OUTAGE_MS = 5_000;

const calls: [string, "query" | "mutation", string, () => unknown][] = [
  ["list", "query", "task.list", () => ({ limit: 10 })],
  ["overview", "query", "town.overview", () => undefined],
  ["agents", "query", "agent.list", () => undefined],
  ["create", "mutation", "task.create", () => ({ description: `during outage ${Math.random()}` })],
  ["send", "mutation", "message.send", () => ({ to: "w0", body: "hello" })],
];

/** Fires a call every 200 ms while `outage` runs; returns every call's result once all have settled. */
async function callThrough(
  outage: () => Promise<void>,
): Promise<{ during: (CallResult & { name: string })[]; settledMs: number }> {
  const pending: Promise<CallResult & { name: string }>[] = [];
  let done = false;
  const fire = (async () => {
    for (let i = 0; !done && i < 1000; i++) {
      const [name, type, path, input] = calls[i % calls.length]!;
      pending.push(httpCall(h.town, type, path, input()).then((r) => ({ ...r, name })));
      await sleep(200);
    }
  })();
  const started = Date.now();
  await outage();
  done = true;
  await fire;
  // Every call settles: give the slowest the bound, then fail loudly with whatever is still open.
  let open = pending.length;
  for (const p of pending) void p.then(() => open--);
  const all = await Promise.race([Promise.all(pending), sleep(BOUND_MS + 2_000).then(() => null)]);
  expect(all, `${open} API calls never settled`).not.toBeNull();
  return { during: all!, settledMs: Date.now() - started };
}

function expectClear503OrOk(results: (CallResult & { name: string })[]): number {
  let unavailable = 0;
  for (const r of results) {
    expect(r.contentType, r.text).toContain("application/json");
    expect(r.ms, `${r.name} took ${r.ms} ms`).toBeLessThanOrEqual(BOUND_MS);
    if (r.status === 200) continue;
    expect(r.status, `${r.name}: ${r.text}`).toBe(503);
    expect(r.error?.data.code).toBe("SERVICE_UNAVAILABLE");
    expect(r.error?.data.core?.code).toBe("REDIS_UNAVAILABLE");
    expect(r.error?.message).toMatch(/redis/i);
    unavailable++;
  }
  return unavailable;
}

async function worksAfter(): Promise<void> {
  const list = await httpCall(h.town, "query", "task.list", { limit: 5 });
  expect(list.status, list.text).toBe(200);
  const created = await httpCall(h.town, "mutation", "task.create", { description: "after the outage" });
  expect(created.status, created.text).toBe(200);
  h.ledger.task((created.data as { id: string }).id, ["pending"]);
}

test("CLIENT PAUSE 5000 ALL: every call settles within the bound, answering its result or a clear 503", async () => {
  const started = Date.now();
  const admin = h.redis.client();
  const { during } = await callThrough(async () => {
    await admin.call("CLIENT", "PAUSE", String(OUTAGE_MS), "ALL");
    await sleep(OUTAGE_MS);
  });
  admin.disconnect();
  const unavailable = expectClear503OrOk(during);
  expect(unavailable, "calls made while paused were answered 503").toBeGreaterThan(0);
  await worksAfter();
  const figures = await checkInvariants(h, { crashes: 0 });
  report({
    scenario: "redis paused 5 s",
    ...figures,
    calls: during.length,
    answered503: unavailable,
    slowestMs: Math.max(...during.map((r) => r.ms)),
    ms: Date.now() - started,
  });
}, 60_000);

test("Redis unreachable (stopped) for 5 s: every call settles within the bound with a clear 503; all works after the restart", async () => {
  const started = Date.now();
  const { during } = await callThrough(async () => {
    await h.redis.kill9();
    await sleep(OUTAGE_MS);
    await h.redis.up();
  });
  const unavailable = expectClear503OrOk(during);
  expect(unavailable).toBeGreaterThan(0);
  await sleep(500);
  await worksAfter();
  const figures = await checkInvariants(h, { crashes: 0 });
  report({
    scenario: "redis unreachable 5 s",
    kills: 1,
    ...figures,
    calls: during.length,
    answered503: unavailable,
    slowestMs: Math.max(...during.map((r) => r.ms)),
    ms: Date.now() - started,
  });
}, 60_000);
