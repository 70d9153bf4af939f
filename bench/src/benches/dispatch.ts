/**
 * B4 (dispatch latency), B5 (task throughput) and scale-out (1, 2, 4 runner processes): the real runner bin
 * against raw BullMQ + spawn of the same trivial program (`date +%s%N`) in a helper process.
 */
import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { assignTask, countTasks, createTask, findAgent, getTask, spawnAgent, type Town } from "@tinytown/core";
import { section, type BenchContext } from "../context";
import {
  benchTown,
  cpuSec,
  eventCounter,
  pool,
  rssMiB,
  startHelper,
  startRunnerProcess,
  stampMs,
  stopChild,
} from "../lib/procs";
import { perUnit, rawClient, serverCounters } from "../lib/redis";
import { fmtMs, fmtPct, fmtRate, fmtX, fmtMiB } from "../lib/report";
import { median, nowMs, sleep, spread, summarizeRuns } from "../lib/stats";

async function waitIdle(town: Town, name: string): Promise<void> {
  const until = Date.now() + 10_000;
  while ((await findAgent(town, name))?.state !== "idle") {
    if (Date.now() > until) throw new Error(`agent ${name} did not become idle`);
    await sleep(2);
  }
}

// ── B4 ────────────────────────────────────────────────────────────────────────────────────────────────────────

export async function b4Dispatch(ctx: BenchContext): Promise<void> {
  const iters = ctx.quick ? 15 : 40;
  const lines = section(ctx, "B4", "Dispatch latency: assign to an idle agent → its process has started");
  const bt = await benchTown(ctx.redis.tcpUrl, "b4");
  const runner = await startRunnerProcess(bt, "b4-runner");
  await spawnAgent(bt.town, { name: "a0", model: "stamp", by: "bench" });
  await waitIdle(bt.town, "a0");
  const prefix = `rawb4-${randomUUID().slice(0, 8)}`;
  const worker = await startHelper("raw-bull-worker.ts", [ctx.redis.tcpUrl, prefix, "1"]);
  const raw = rawClient(ctx.redis.tcpUrl);
  const rawB = rawClient(ctx.redis.tcpUrl);
  const queue = new Queue<{ id: string }>("raw-0", { connection: raw, prefix, skipVersionCheck: true });
  const completed = await eventCounter(bt.town, (e) => e.type === "task.completed");

  const runs: { ours: number[]; raw: number[]; assignCall: number[] }[] = [];
  for (let r = 0; r < ctx.runs; r++) {
    const one = { ours: [] as number[], raw: [] as number[], assignCall: [] as number[] };
    for (let i = 0; i < iters + 3; i++) {
      const warm = i < 3;
      // Ours: a pending task, assigned to the idle agent; the clock stops when `date` runs (its own output).
      const task = await createTask(bt.town, { description: `b4 ${r}.${i}`, by: "bench" });
      const seen = completed.seen;
      await sleep(10);
      const t0 = nowMs();
      await assignTask(bt.town, { taskId: task.id, agent: "a0", by: "bench" });
      const t1 = nowMs();
      await completed.until(seen + 1, 10_000);
      const started = stampMs((await getTask(bt.town, task.id)).result ?? "");
      if (!warm) {
        one.ours.push(started - t0);
        one.assignCall.push(t1 - t0);
      }
      await waitIdle(bt.town, "a0");
      // Raw: add → the worker's spawned `date` runs.
      await sleep(10);
      const r0 = nowMs();
      await queue.add("run", { id: String(i) }, { removeOnComplete: true, removeOnFail: true });
      const done = await rawB.brpop(`${prefix}:done`, 10);
      if (!done) throw new Error("B4: raw worker did not answer");
      if (!warm) one.raw.push(stampMs((JSON.parse(done[1]) as { out: string }).out) - r0);
    }
    runs.push(one);
  }
  const ours = summarizeRuns(runs.map((x) => x.ours));
  const base = summarizeRuns(runs.map((x) => x.raw));
  const call = summarizeRuns(runs.map((x) => x.assignCall));
  lines.push(
    `${iters} assignments per run, ${ctx.runs} runs, one runner process (the built bin) serving one idle agent whose model is \`/bin/date +%s%N\`; ours and raw alternate. The clock starts just before \`assignTask\` and stops at the timestamp \`date\` prints (read back from the task's result); the raw baseline is \`queue.add\` → a BullMQ worker (concurrency 1, in its own process) → \`spawn('/bin/date')\`.`,
    `The \`assignTask\` call itself takes p50 ${fmtMs(call.p50)} (p99 ${fmtMs(call.p99)}); the rest is the runner's start path (read agent, read task, startTask script, markWorking script, drain the inbox, prompt, log file, spawn).`,
  );
  ctx.rows.push({
    id: "B4",
    what: "assign → process started",
    ours: fmtMs(ours.p50),
    baseline: `${fmtMs(base.p50)} (BullMQ add → worker → spawn)`,
    ratio: `+${fmtMs(ours.p50 - base.p50)} (${fmtX(ours.p50 / base.p50)})`,
    p50p99: `${fmtMs(ours.p50)}/${fmtMs(ours.p99)} (raw ${fmtMs(base.p50)}/${fmtMs(base.p99)})`,
    spread: `${fmtPct(ours.spreadPct)} (raw ${fmtPct(base.spreadPct)})`,
    target: "p50 ≤ baseline + 1.5 ms",
    met: ours.p50 <= base.p50 + 1.5 ? "yes" : "no",
  });
  ctx.log(`B4: ours p50 ${fmtMs(ours.p50)} p99 ${fmtMs(ours.p99)}; raw p50 ${fmtMs(base.p50)} p99 ${fmtMs(base.p99)}`);
  await completed.stop();
  await queue.close();
  raw.disconnect();
  rawB.disconnect();
  await stopChild(worker);
  await stopChild(runner);
  await bt.close();
}

// ── B5 and scale-out ──────────────────────────────────────────────────────────────────────────────────────────

const AGENTS = 10;
const CREATE_CONCURRENCY = 16;

interface OursRun {
  perSec: number;
  ms: number;
  runnerRss: number[];
  byRunner: Record<string, number>;
  /** Redis commands per task, the runners' and Redis's CPU seconds per 1,000 tasks. */
  commands: string;
  commandsTotal: number;
  runnerCpuPerK: number;
  redisCpuPerK: number;
}

/** `n` tasks on 10 agents served by `runners` runner processes; from the first create to the last completion. */
export async function oursThroughput(ctx: BenchContext, n: number, runners: number, tag: string): Promise<OursRun> {
  const bt = await benchTown(ctx.redis.tcpUrl, tag);
  try {
    const procs = await Promise.all(Array.from({ length: runners }, (_, i) => startRunnerProcess(bt, `${tag}-r${i}`)));
    for (let i = 0; i < AGENTS; i++) await spawnAgent(bt.town, { name: `a${i}`, model: "stamp", by: "bench" });
    for (let i = 0; i < AGENTS; i++) await waitIdle(bt.town, `a${i}`);
    const settled = await eventCounter(bt.town, (e) => e.type === "task.completed" || e.type === "task.failed");
    const admin = rawClient(ctx.redis.tcpUrl);
    const c0 = await serverCounters(admin);
    const cpu0 = procs.reduce((a, p) => a + cpuSec(p.pid), 0);
    const t0 = nowMs();
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(procs.reduce((a, p) => Math.max(a, rssMiB(p.pid)), 0)), 500);
    await pool(n, CREATE_CONCURRENCY, (i) =>
      createTask(bt.town, { description: `${tag} task ${i}`, assignTo: `a${i % AGENTS}`, by: "bench" }),
    );
    await settled.until(n, 20 * 60_000);
    const ms = nowMs() - t0;
    clearInterval(sampler);
    const c1 = await serverCounters(admin);
    const cpu1 = procs.reduce((a, p) => a + cpuSec(p.pid), 0);
    admin.disconnect();
    await settled.stop();
    const per = perUnit(c0.calls, c1.calls, n);
    const counts = await countTasks(bt.town);
    if (counts.completed !== n)
      throw new Error(`${tag}: ${counts.completed} of ${n} completed (${JSON.stringify(counts)})`);
    const byRunner: Record<string, number> = {};
    // Who ran what: the runner that completed each task (updatedBy runner:<id>), from a sample of the tasks.
    const ids = await bt.town.redis.zrange(bt.town.keys.tasks, 0, "199");
    for (const id of ids) {
      const by = (await getTask(bt.town, id)).updatedBy;
      byRunner[by] = (byRunner[by] ?? 0) + 1;
    }
    await Promise.all(procs.map((p) => stopChild(p)));
    return {
      perSec: n / (ms / 1000),
      ms,
      runnerRss: rss,
      byRunner,
      commands: per.text,
      commandsTotal: per.total,
      runnerCpuPerK: ((cpu1 - cpu0) / n) * 1000,
      redisCpuPerK: ((c1.cpu - c0.cpu) / n) * 1000,
    };
  } finally {
    await bt.close();
  }
}

let rawWorkerCpuPerK = NaN;
/** Redis commands per task of the raw baseline (INFO commandstats, commands inside BullMQ's scripts included). */
let rawCommands = { text: "", total: NaN };

/** The same workload on raw BullMQ: 10 queues, one worker each (concurrency 1) in `procs` helper processes. */
async function rawThroughput(ctx: BenchContext, n: number, procs = 1): Promise<number> {
  const prefix = `rawb5-${randomUUID().slice(0, 8)}`;
  const workers = await Promise.all(
    Array.from({ length: procs }, () => startHelper("raw-bull-worker.ts", [ctx.redis.tcpUrl, prefix, String(AGENTS)])),
  );
  const conn = rawClient(ctx.redis.tcpUrl);
  const done = rawClient(ctx.redis.tcpUrl);
  const queues = Array.from(
    { length: AGENTS },
    (_, i) => new Queue<{ id: string }>(`raw-${i}`, { connection: conn, prefix, skipVersionCheck: true }),
  );
  const cpu0 = workers.reduce((a, w) => a + cpuSec(w.pid), 0);
  const counters0 = await serverCounters(conn);
  const t0 = nowMs();
  const waiting = (async () => {
    for (let i = 0; i < n; i++) if (!(await done.brpop(`${prefix}:done`, "30"))) throw new Error("raw workers stalled");
  })();
  await pool(n, CREATE_CONCURRENCY, (i) =>
    queues[i % AGENTS]!.add("run", { id: String(i) }, { removeOnComplete: true, removeOnFail: true }),
  );
  await waiting;
  const ms = nowMs() - t0;
  rawWorkerCpuPerK = ((workers.reduce((a, w) => a + cpuSec(w.pid), 0) - cpu0) / n) * 1000;
  rawCommands = perUnit(counters0.calls, (await serverCounters(conn)).calls, n, 6);
  await Promise.all(queues.map((q) => q.close()));
  conn.disconnect();
  done.disconnect();
  await Promise.all(workers.map((w) => stopChild(w)));
  return n / (ms / 1000);
}

export async function b5Throughput(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 300 : 2_000;
  const runs = ctx.quick ? 1 : 2;
  const lines = section(ctx, "B5", "Task throughput: 10 agents, trivial model");
  const ours: OursRun[] = [];
  const base: number[] = [];
  for (let r = 0; r < runs; r++) {
    base.push(await rawThroughput(ctx, n));
    ours.push(await oursThroughput(ctx, n, 1, `b5-${r}`));
    ctx.log(`B5 run ${r + 1}: ours ${Math.round(ours[r]!.perSec)} tasks/s, raw ${Math.round(base[r]!)} tasks/s`);
  }
  const o = median(ours.map((x) => x.perSec));
  const b = median(base);
  const rss = Math.max(...ours.flatMap((x) => x.runnerRss));
  lines.push(
    `${n.toLocaleString("en-US")} tasks on 10 agents (model \`/bin/date\`), created ${CREATE_CONCURRENCY} at a time with \`createTask({assignTo})\`, one runner process; from the first create to the last \`task.completed\` event. Baseline: 10 BullMQ queues with one worker each (concurrency 1) in one process, each job spawning \`/bin/date\`, jobs added ${CREATE_CONCURRENCY} at a time. ${runs} runs each (median), alternating.`,
    `Per run: ours ${ours.map((x) => `${Math.round(x.perSec)} tasks/s (${(x.ms / 1000).toFixed(1)} s)`).join(", ")}; raw ${base.map((x) => `${Math.round(x)} tasks/s`).join(", ")}. Runner RSS peaked at ${fmtMiB(rss)}.`,
    `Where the time goes (last run): ${ours.at(-1)!.commandsTotal.toFixed(0)} Redis commands per task (${ours.at(-1)!.commands}); CPU per 1,000 tasks: runner ${ours.at(-1)!.runnerCpuPerK.toFixed(2)} s, redis-server ${ours.at(-1)!.redisCpuPerK.toFixed(2)} s; the raw worker process ${rawWorkerCpuPerK.toFixed(2)} s (2 cores shared by the runner, Redis, the bench and the spawned programs). Counts include the commands run inside Lua scripts (ours and BullMQ's); the raw baseline costs ${rawCommands.total.toFixed(0)} commands per task (${rawCommands.text}).`,
  );
  ctx.rows.push({
    id: "B5",
    what: `${n.toLocaleString("en-US")} tasks, 10 agents, 1 runner`,
    ours: fmtRate(o, "task"),
    baseline: `${fmtRate(b, "task")} (raw BullMQ + spawn)`,
    ratio: fmtX(o / b),
    p50p99: "—",
    spread: `${fmtPct(spread(ours.map((x) => x.perSec)))} (raw ${fmtPct(spread(base))})`,
    target: "≥ 0.85×",
    met: o / b >= 0.85 ? "yes" : "no",
  });
}

export async function scaleOut(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 300 : 1_500;
  const lines = section(ctx, "Scale-out", "Throughput with 1, 2 and 4 runner processes (same machine)");
  lines.push(
    `${n.toLocaleString("en-US")} tasks on 10 agents per measurement, as B5. Raw baselines: the same 10 queues served by 1 or 2 worker processes.`,
    "",
    "| Runner processes | Ours | vs 1 runner | Raw (same number of worker processes) | ours/raw | Tasks per runner (sample of 200) |",
    "|---|---|---|---|---|---|",
  );
  let one = 0;
  const results: string[] = [];
  for (const k of [1, 2, 4]) {
    const o = await oursThroughput(ctx, n, k, `scale${k}`);
    const b = k <= 2 ? await rawThroughput(ctx, n, k) : NaN;
    if (k === 1) one = o.perSec;
    lines.push(
      `| ${k} | ${fmtRate(o.perSec, "task")} | ${fmtX(o.perSec / one)} | ${Number.isNaN(b) ? "—" : fmtRate(b, "task")} | ${Number.isNaN(b) ? "—" : fmtX(o.perSec / b)} | ${Object.values(o.byRunner).join(" / ")} |`,
    );
    results.push(`${k}: ${Math.round(o.perSec)}/s`);
    ctx.log(
      `scale-out ${k} runner(s): ${Math.round(o.perSec)} tasks/s${Number.isNaN(b) ? "" : `, raw ${Math.round(b)}/s`}`,
    );
  }
  ctx.rows.push({
    id: "Scale",
    what: "1 / 2 / 4 runner processes, 10 agents",
    ours: results.join(", "),
    baseline: "see details",
    ratio: "—",
    p50p99: "—",
    spread: "1 run each",
    target: "report (2 cores)",
    met: "n/a",
  });
}
