/** B7: a page of 50 tasks and the state counts, with 1k and with 100k tasks in the town. */
import { countTasks, createTask, listTasks, type Town } from "@tinytown/core";
import { section, type BenchContext } from "../context";
import { benchTown, pool } from "../lib/procs";
import { fmtMs, fmtPct, fmtX } from "../lib/report";
import { nowMs, summarizeRuns } from "../lib/stats";

const PRIOS = ["urgent", "high", "normal", "low"] as const;

async function fill(town: Town, n: number): Promise<number> {
  const t0 = nowMs();
  await pool(n, 64, (i) =>
    createTask(town, {
      description: `listing task ${i}: refactor module ${i % 97}`,
      priority: PRIOS[i % 4],
      tags: [`m${i % 7}`],
      by: "bench",
    }),
  );
  return nowMs() - t0;
}

export async function b7Listing(ctx: BenchContext): Promise<void> {
  const big = ctx.quick ? 20_000 : 100_000;
  const iters = ctx.quick ? 100 : 300;
  const lines = section(ctx, "B7", "Listing at scale");
  const small = await benchTown(ctx.redis.tcpUrl, "b7small");
  const large = await benchTown(ctx.redis.tcpUrl, "b7large");
  await fill(small.town, 1_000);
  const fillMs = await fill(large.town, big);
  ctx.log(`B7: created ${big} tasks in ${(fillMs / 1000).toFixed(1)} s`);
  const page = async (town: Town) => {
    const t0 = nowMs();
    await Promise.all([listTasks(town, { state: "pending", limit: 50 }), countTasks(town)]);
    return nowMs() - t0;
  };
  const bigIds = await large.town.redis.zrevrange(large.town.keys.tasks, 0, 49);
  const raw = async () => {
    const t0 = nowMs();
    const p = large.town.redis.pipeline();
    for (const id of bigIds) p.hgetall(large.town.keys.task(id));
    await p.exec();
    return nowMs() - t0;
  };
  for (let i = 0; i < 50; i++) await Promise.all([page(small.town), page(large.town), raw()]);
  const runs = { small: [] as number[][], large: [] as number[][], raw: [] as number[][] };
  for (let r = 0; r < ctx.runs; r++) {
    const one = { small: [] as number[], large: [] as number[], raw: [] as number[] };
    for (let i = 0; i < iters; i++) {
      one.small.push(await page(small.town));
      one.large.push(await page(large.town));
      one.raw.push(await raw());
    }
    runs.small.push(one.small);
    runs.large.push(one.large);
    runs.raw.push(one.raw);
  }
  const s = summarizeRuns(runs.small);
  const l = summarizeRuns(runs.large);
  const b = summarizeRuns(runs.raw);
  const ratio = l.p50 / s.p50;
  lines.push(
    `Two towns on the same Redis: 1,000 and ${big.toLocaleString("en-US")} tasks made with \`createTask\` (the big one in ${(fillMs / 1000).toFixed(1)} s, ${Math.round(big / (fillMs / 1000))} tasks/s at 64 in flight). One measurement = \`listTasks({state: "pending", limit: 50})\` and \`countTasks()\` in parallel (what the board's first page needs); ${iters} per run, ${ctx.runs} runs, the three variants interleaved.`,
    `p50/p99: 1k ${fmtMs(s.p50)}/${fmtMs(s.p99)}; ${big / 1000}k ${fmtMs(l.p50)}/${fmtMs(l.p99)}; raw pipelined HGETALL of 50 keys ${fmtMs(b.p50)}/${fmtMs(b.p99)}. Ours (${big / 1000}k) vs raw: ${fmtX(l.p50 / b.p50)}.`,
  );
  ctx.rows.push({
    id: "B7",
    what: `page of 50 + counts, 1k vs ${big / 1000}k tasks`,
    ours: `${fmtMs(l.p50)} at ${big / 1000}k (${fmtMs(s.p50)} at 1k)`,
    baseline: `${fmtMs(b.p50)} (pipelined HGETALL×50)`,
    ratio: `${big / 1000}k/1k ${fmtX(ratio)}; vs raw ${fmtX(l.p50 / b.p50)}`,
    p50p99: `${fmtMs(l.p50)}/${fmtMs(l.p99)} (1k ${fmtMs(s.p50)}/${fmtMs(s.p99)})`,
    spread: `${fmtPct(l.spreadPct)} (1k ${fmtPct(s.spreadPct)})`,
    target: "100k/1k ≤ 1.5×",
    met: ratio <= 1.5 ? "yes" : "no",
  });
  ctx.log(`B7: 1k ${fmtMs(s.p50)}, ${big / 1000}k ${fmtMs(l.p50)}, raw ${fmtMs(b.p50)}`);
  // The big town's keys stay until the server stops (it is private and not persisted).
  await small.close();
  await large.close();
}
