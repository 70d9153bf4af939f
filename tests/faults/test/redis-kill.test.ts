/**
 * kill -9 of Redis (its own process, AOF with appendfsync always, the managed default) during a run, restarted on
 * the same port from the same directory. Meanwhile work keeps arriving through core, the HTTP API and the `tt` CLI
 * (real processes), and runner processes keep running tasks. Afterwards: the runners are the same processes (they
 * recovered by themselves), the CLI and the API work again, and everything acknowledged before the kill — including
 * what was acknowledged in the last second before it — is there.
 */
import { afterEach, expect, test } from "vitest";
import { countTasks, createTask, listTasks, sendMessage, spawnAgent, type Task } from "@tinytown/core";
import { httpCall, type CallResult } from "../src/api";
import { Harness, sleep, waitFor } from "../src/harness";
import { checkInvariants } from "../src/invariants";
import { report } from "../src/report";
import { SIZE } from "../src/size";

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const AGENTS = 6;

interface Ack {
  kind: "task" | "message";
  id: string;
  at: number;
  via: "core" | "api" | "cli";
}

test(`kill -9 Redis ${SIZE.redisKills}× during a run: runners, CLI and API recover; nothing acknowledged is lost`, async () => {
  const started = Date.now();
  h = await Harness.create({ runner: { maxAttempts: 20 }, env: { work: { WORK_MIN_MS: "100", WORK_MAX_MS: "600" } } });
  const harness = h;
  const { town } = harness;
  const runners = [harness.startRunner(), harness.startRunner()];
  const names = [];
  for (let i = 0; i < AGENTS; i++)
    names.push((await spawnAgent(town, { name: `w${i}`, model: "work", by: "faults" })).name);
  // A mailbox nobody reads: the messages sent to it must all still be there at the end, in order.
  const mailbox = await spawnAgent(town, { name: "mailbox", model: "work", by: "faults" });

  const acks: Ack[] = [];
  const failures = { core: 0, api: 0, cli: 0 };
  const apiDuringOutage: CallResult[] = [];
  const cliDuringOutage: { code: number | null; ms: number; stderr: string }[] = [];
  let down = false;
  let stop = false;
  let n = 0;
  const target = SIZE.redisKillTasks;

  // Producers: each records an item only once it was acknowledged.
  const viaCore = (async () => {
    while (!stop && n < target) {
      const i = n++;
      try {
        const t = await createTask(town, { description: `core task ${i}`, assignTo: names[i % AGENTS]!, by: "faults" });
        acks.push({ kind: "task", id: t.id, at: Date.now(), via: "core" });
        const m = await sendMessage(town, { to: mailbox.id, body: `note ${i}`, from: "faults" });
        acks.push({ kind: "message", id: m.id, at: Date.now(), via: "core" });
      } catch {
        failures.core++;
        await sleep(50);
      }
      await sleep(40);
    }
  })();
  const viaApi = (async () => {
    for (let i = 0; !stop && i < 10_000; i++) {
      const wasDown = down;
      const r = await httpCall(town, "mutation", "task.create", {
        description: `api task ${i}`,
        assignTo: names[i % AGENTS],
      });
      if (r.status === 200) acks.push({ kind: "task", id: (r.data as Task).id, at: Date.now(), via: "api" });
      else {
        failures.api++;
        if (wasDown) apiDuringOutage.push(r);
      }
      await sleep(wasDown ? 100 : 150);
    }
  })();
  const viaCli = (async () => {
    for (let i = 0; !stop && i < 1_000; i++) {
      const wasDown = down;
      const r = await harness.tt(["--json", "assign", names[i % AGENTS]!, `cli task ${i}`]);
      if (r.code === 0) acks.push({ kind: "task", id: (JSON.parse(r.stdout) as Task).id, at: Date.now(), via: "cli" });
      else {
        failures.cli++;
        if (wasDown) cliDuringOutage.push(r);
      }
    }
  })();

  const kills: { at: number; ackedLastSecond: number; downMs: number }[] = [];
  for (let k = 0; k < SIZE.redisKills; k++) {
    await waitFor(
      "tasks running before the kill",
      async () => (await countTasks(town)).running > 0 && acks.length > 10 * (k + 1),
      30_000,
    );
    await sleep(300 + Math.random() * 500);
    down = true;
    const at = Date.now();
    await harness.redis.kill9();
    const ackedLastSecond = acks.filter((a) => a.at > at - 1000).length;
    await sleep(1500);
    await harness.redis.up();
    down = false;
    kills.push({ at, ackedLastSecond, downMs: Date.now() - at });
    await sleep(2000);
  }
  stop = true;
  await Promise.all([viaCore, viaApi, viaCli]);

  for (const a of acks) {
    if (a.kind === "task") harness.ledger.task(a.id, ["completed"]);
    else harness.ledger.message(mailbox.id, a.id);
  }
  const byVia = (v: Ack["via"]) => acks.filter((a) => a.kind === "task" && a.via === v).length;
  expect(byVia("core")).toBeGreaterThan(0);
  expect(byVia("api")).toBeGreaterThan(0);
  expect(byVia("cli")).toBeGreaterThan(0);
  // Something was acknowledged within the last second before each kill: the AOF (page cache) kept it.
  expect(
    kills.every((k) => k.ackedLastSecond > 0),
    JSON.stringify(kills),
  ).toBe(true);

  // While Redis was down the API answered a clear 503 (never a 500), and the CLI failed with a message, in bounded time.
  for (const r of apiDuringOutage) {
    expect([503, 200], r.text).toContain(r.status);
    expect(r.contentType).toContain("application/json");
    expect(r.ms).toBeLessThan(10_000);
  }
  for (const r of cliDuringOutage) {
    expect(r.code, r.stderr).not.toBeNull();
    expect(r.stderr).toMatch(/redis/i);
    expect(r.ms).toBeLessThan(15_000);
  }

  // Everything acknowledged (and whatever else got in) runs to completion on the same runner processes.
  await waitFor(
    "every task completed",
    async () => {
      const c = await countTasks(town);
      return c.completed > 0 && c.pending + c.assigned + c.running === 0;
    },
    120_000,
    250,
  ).catch(async (err) => {
    console.log(JSON.stringify(await countTasks(town)), harness.dir);
    throw err;
  });
  for (const rp of runners)
    expect(
      rp.child.exitCode,
      `runner ${rp.id} survived; its log ends:\n${harness.runnerLog(rp.id).slice(-3000)}`,
    ).toBeNull();
  // The CLI and the API work again.
  const status = await harness.tt(["--json", "tasks"]);
  expect(status.code, status.stderr).toBe(0);
  const listed = await httpCall(town, "query", "task.list", { limit: 5 });
  expect(listed.status).toBe(200);
  const all = (await listTasks(town, { limit: 1000 })).items;
  expect(all.every((t) => t.state === "completed")).toBe(true);

  const figures = await checkInvariants(harness, { crashes: harness.redis.kills });
  report({
    scenario: "redis kill -9",
    kills: harness.redis.kills,
    ...figures,
    ackedLastSecondBeforeKill: kills.reduce((s, k) => s + k.ackedLastSecond, 0),
    refusedWhileDown: failures,
    apiAnswersWhileDown: apiDuringOutage.map((r) => r.status).join(",") || "none",
    ms: Date.now() - started,
  });
}, 300_000);
