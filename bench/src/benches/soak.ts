/**
 * B8 (shortened): tasks end to end through one runner process, sampling Redis memory, the event stream's
 * length, the number of per-task log streams and the runner's RSS over time, and for a while after.
 */
import { countTasks, createTask, spawnAgent } from "@tinytown/core";
import { section, type BenchContext } from "../context";
import { benchTown, eventCounter, pool, rssMiB, startRunnerProcess, stopChild } from "../lib/procs";
import { rawClient } from "../lib/redis";
import { sleep } from "../lib/stats";

export async function b8Soak(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 500 : 5_000;
  const lines = section(ctx, "B8", `Soak (shortened: ${n.toLocaleString("en-US")} tasks instead of 20,000)`);
  const bt = await benchTown(ctx.redis.tcpUrl, "b8");
  const runner = await startRunnerProcess(bt, "b8-runner");
  const admin = rawClient(ctx.redis.tcpUrl);
  for (let i = 0; i < 10; i++) await spawnAgent(bt.town, { name: `a${i}`, model: "stamp", by: "bench" });
  const settled = await eventCounter(bt.town, (e) => e.type === "task.completed" || e.type === "task.failed");
  const samples: string[] = [];
  const t0 = Date.now();
  const k = bt.town.keys;
  const sample = async () => {
    const mem = Number(/used_memory:(\d+)/.exec(await admin.info("memory"))?.[1]) / 2 ** 20;
    const [xlen, tasks] = await Promise.all([admin.xlen(k.events), admin.zcard(k.tasks)]);
    const c = await countTasks(bt.town);
    samples.push(
      `| ${((Date.now() - t0) / 1000).toFixed(0)} | ${tasks} | ${c.completed} | ${mem.toFixed(1)} | ${xlen} | ${rssMiB(runner.pid).toFixed(0)} |`,
    );
  };
  await sample();
  const timer = setInterval(() => void sample(), ctx.quick ? 1_000 : 4_000);
  // Created at a steady pace in waves of 500 (a team's backlog arriving), not all at once.
  for (let w = 0; w < n; w += 500) {
    await pool(Math.min(500, n - w), 16, (i) =>
      createTask(bt.town, { description: `soak ${w + i}`, assignTo: `a${(w + i) % 10}`, by: "bench" }),
    );
    await settled.until(Math.max(0, w - 500), 10 * 60_000);
  }
  await settled.until(n, 20 * 60_000);
  for (let i = 0; i < (ctx.quick ? 2 : 4); i++) {
    await sleep(ctx.quick ? 1_000 : 4_000);
  }
  clearInterval(timer);
  await sample();
  const logStreams = await admin.eval(`return #redis.call('KEYS', ARGV[1])`, 0, `${k.taskLog("")}*`).catch(() => -1);
  lines.push(
    `One runner process, 10 agents (model \`/bin/date\`), ${n.toLocaleString("en-US")} tasks created in waves of 500 as the previous wave completes; a sample every ${ctx.quick ? 1 : 4} s, and for a while after the last completion. Shortened from 20,000 to keep \`pnpm bench\` near 10 minutes; \`--soak=20000\` is not wired yet.`,
    `Per-task log streams at the end (KEYS, diagnostic only; each capped and with a 7-day TTL): ${String(logStreams)}.`,
    "",
    "| t (s) | tasks | completed | Redis used_memory (MiB) | events stream length | runner RSS (MiB) |",
    "|---|---|---|---|---|---|",
    ...samples,
  );
  ctx.rows.push({
    id: "B8",
    what: `soak, ${n.toLocaleString("en-US")} tasks (shortened)`,
    ours: "see curve",
    baseline: "—",
    ratio: "—",
    p50p99: "—",
    spread: "—",
    target: "levels off",
    met: "n/a",
  });
  await settled.stop();
  admin.disconnect();
  await stopChild(runner);
  await bt.close();
}
