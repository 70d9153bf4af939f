/**
 * B1–B3: the Channel (sorted-set inboxes, BZPOPMIN receive) against raw Redis lists on the same server.
 */
import { randomUUID } from "node:crypto";
import { drain, receive, sendMessage, spawnAgent, townOnRedis, type Message, type Town } from "@tinytown/core";
import type { Redis } from "ioredis";
import { section, type BenchContext } from "../context";
import { benchTown, pool } from "../lib/procs";
import { rawClient } from "../lib/redis";
import { fmtMs, fmtPct, fmtRate, fmtX } from "../lib/report";
import { median, nowMs, spread, summarizeRuns } from "../lib/stats";

const BODY = "please review the change in packages/core/src/channel/channel.ts and report back with tt send supervisor";

function rawPayload(i: number, priority = "normal"): string {
  return JSON.stringify({
    id: randomUUID(),
    from: "bench",
    to: "agent",
    type: "info",
    priority,
    createdAt: Date.now(),
    correlationId: null,
    body: `${i} ${BODY}`,
    data: null,
  });
}

type Hop = () => Promise<number>;

/**
 * Sequential one-way hops, the variants interleaved hop by hop (raw, ours, raw, ours, …) so that the state of
 * the shared machine (which core is awake, what else runs) hits every variant alike. Returns ms per hop.
 */
async function interleaved(n: number, variants: Record<string, Hop>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < n; i++) for (const [k, hop] of Object.entries(variants)) out[k]!.push(await hop());
  return out;
}

interface ChannelRig {
  town: Town;
  agentId: string;
  agentName: string;
  close(): Promise<void>;
}

async function channelRig(url: string, prefix: string): Promise<ChannelRig> {
  const bt = await benchTown(url, prefix);
  const agent = await spawnAgent(bt.town, { name: "receiver", model: "stamp", by: "bench" });
  return { town: bt.town, agentId: agent.id, agentName: agent.name, close: () => bt.close() };
}

// ── B1 ────────────────────────────────────────────────────────────────────────────────────────────────────────

export async function b1Latency(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 2_000 : 10_000;
  const warm = ctx.quick ? 200 : 1_000;
  const lines = section(ctx, "B1", "Channel send → blocking receive, one-way");
  lines.push(
    `${n.toLocaleString("en-US")} sequential messages per run, ${ctx.runs} runs per variant (after ${warm} warm-up hops); the receiver's blocking read is issued first, the clock runs from just before the send until the receive resolves, in one process with two connections each side. The variants are interleaved hop by hop.`,
  );
  lines.push("", "| Transport | Variant | p50 | p99 | spread of p50 |", "|---|---|---|---|---|");
  for (const [transport, url] of [
    ["tcp", ctx.redis.tcpUrl],
    ["unix", ctx.redis.unixUrl],
  ] as const) {
    const rig = await channelRig(url, `b1${transport}`);
    const send = rawClient(url);
    const recv = rawClient(url);
    const rawKey = `bench:b1:${transport}`;
    const variants: Record<string, Hop> = {
      raw: async () => {
        const p = recv.brpop(rawKey, 5);
        const t0 = nowMs();
        await send.lpush(rawKey, rawPayload(0));
        const r = await p;
        JSON.parse(r![1]);
        return nowMs() - t0;
      },
      // The public API: to an agent by name (resolves the mailbox, then the send script).
      ours: async () => {
        const p = receive(rig.town, rig.agentId, 5_000);
        const t0 = nowMs();
        await sendMessage(rig.town, { to: rig.agentName, from: "bench", body: BODY });
        const m = await p;
        if (!m) throw new Error("B1: receive timed out");
        return nowMs() - t0;
      },
      // Diagnostics: the same hop without the message.sent event; and to the supervisor mailbox (no lookup).
      "ours, no event": async () => {
        const p = receive(rig.town, rig.agentId, 5_000);
        const t0 = nowMs();
        await sendMessage(rig.town, { to: rig.agentName, from: "bench", body: BODY }, { event: false });
        if (!(await p)) throw new Error("B1: receive timed out");
        return nowMs() - t0;
      },
      "ours, to supervisor (no lookup)": async () => {
        const p = receive(rig.town, "supervisor", 5_000);
        const t0 = nowMs();
        await sendMessage(rig.town, { to: "supervisor", from: "bench", body: BODY });
        if (!(await p)) throw new Error("B1: receive timed out");
        return nowMs() - t0;
      },
    };
    const names = Object.keys(variants);
    await interleaved(warm, variants);
    const runs: Record<string, number[][]> = Object.fromEntries(names.map((k) => [k, []]));
    for (let r = 0; r < ctx.runs; r++) {
      const one = await interleaved(n, variants);
      for (const k of names) runs[k]!.push(one[k]!);
    }
    const s = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, summarizeRuns(v)]));
    for (const [name, v] of Object.entries(s))
      lines.push(`| ${transport} | ${name} | ${fmtMs(v.p50)} | ${fmtMs(v.p99)} | ${fmtPct(v.spreadPct)} |`);
    const ours = s.ours!;
    const raw = s.raw!;
    const r50 = ours.p50 / raw.p50;
    const r99 = ours.p99 / raw.p99;
    ctx.rows.push({
      id: "B1",
      what: `send→receive one-way, ${transport}`,
      ours: fmtMs(ours.p50),
      baseline: `${fmtMs(raw.p50)} (LPUSH→BRPOP)`,
      ratio: `p50 ${fmtX(r50)}, p99 ${fmtX(r99)}`,
      p50p99: `${fmtMs(ours.p50)}/${fmtMs(ours.p99)} (raw ${fmtMs(raw.p50)}/${fmtMs(raw.p99)})`,
      spread: `${fmtPct(ours.spreadPct)} (raw ${fmtPct(raw.spreadPct)})`,
      target: "p50 ≤ 1.3×, p99 ≤ 2×",
      met: r50 <= 1.3 && r99 <= 2 ? "yes" : "no",
    });
    ctx.log(
      `B1 ${transport}: ours p50 ${fmtMs(ours.p50)} p99 ${fmtMs(ours.p99)}; raw p50 ${fmtMs(raw.p50)} p99 ${fmtMs(raw.p99)}`,
    );
    await roundTrips(ctx, rig, lines, transport);
    send.disconnect();
    recv.disconnect();
    await rig.close();
  }
}

/** Counts the commands one send and one receive cost, with MONITOR-free accounting: INFO commandstats deltas. */
async function roundTrips(ctx: BenchContext, rig: ChannelRig, lines: string[], transport: string): Promise<void> {
  if (transport !== "tcp") return;
  const admin = rawClient(ctx.redis.tcpUrl);
  const stats = async () => {
    const info = await admin.info("commandstats");
    const m = new Map<string, number>();
    for (const [, cmd, calls] of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) m.set(cmd!, Number(calls));
    return m;
  };
  const k = 200;
  const before = await stats();
  for (let i = 0; i < k; i++) {
    const p = receive(rig.town, rig.agentId, 5_000);
    await sendMessage(rig.town, { to: rig.agentName, from: "bench", body: BODY });
    await p;
  }
  const after = await stats();
  const per = [...after.entries()]
    .map(([c, v]) => [c, (v - (before.get(c) ?? 0)) / k] as const)
    .filter(([c, v]) => v > 0 && c !== "info")
    .map(([c, v]) => `${c} ${v.toFixed(2)}`);
  lines.push(
    "",
    `Redis commands per message (send to an agent by name + receive), from INFO commandstats over ${k} messages: ${per.join(", ")}.`,
  );
  admin.disconnect();
}

// ── B2 ────────────────────────────────────────────────────────────────────────────────────────────────────────

const PRIOS = ["urgent", "high", "normal", "low"] as const;

export async function b2Priority(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 2_000 : 10_000;
  const lines = section(ctx, "B2", "Priority correctness and cost");
  const rig = await channelRig(ctx.redis.tcpUrl, "b2");
  const raw = rawClient(ctx.redis.tcpUrl);
  const rawB = rawClient(ctx.redis.tcpUrl);
  const keys = PRIOS.map((p) => `bench:b2:${p}`);
  // The same deterministic mix for every run: priority of message i.
  const prio = (i: number) => PRIOS[(i * 7919 + (i >> 3)) % 4]!;
  const oursRates: number[] = [];
  const rawRates: number[] = [];
  let sendMs = 0;
  for (let r = 0; r < ctx.runs; r++) {
    // Ours: sent one by one (send order is the FIFO order to check), drained with blocking receive.
    const s0 = nowMs();
    for (let i = 0; i < n; i++)
      await sendMessage(rig.town, { to: rig.agentId, from: "bench", priority: prio(i), body: String(i) });
    sendMs = nowMs() - s0;
    const t0 = nowMs();
    const got: Message[] = [];
    for (let i = 0; i < n; i++) {
      const m = await receive(rig.town, rig.agentId, 5_000);
      if (!m) throw new Error("B2: receive timed out");
      got.push(m);
    }
    oursRates.push(n / ((nowMs() - t0) / 1000));
    assertOrder(
      got.map((m) => ({ p: m.priority, i: Number(m.body) })),
      n,
      "ours",
    );

    // Raw: one list per priority (RPUSH, so FIFO), drained with BLPOP urgent high normal low.
    const pipe = raw.pipeline();
    for (let i = 0; i < n; i++)
      pipe.rpush(keys[PRIOS.indexOf(prio(i))]!, JSON.stringify({ p: prio(i), i, body: BODY }));
    await pipe.exec();
    const t1 = nowMs();
    const rawGot: { p: string; i: number }[] = [];
    for (let i = 0; i < n; i++) {
      const v = await rawB.blpop(...(keys as [string, ...string[]]), 5);
      if (!v) throw new Error("B2: raw BLPOP timed out");
      rawGot.push(JSON.parse(v[1]) as { p: string; i: number });
    }
    rawRates.push(n / ((nowMs() - t1) / 1000));
    assertOrder(rawGot, n, "raw");
  }
  const ours = median(oursRates);
  const base = median(rawRates);
  lines.push(
    `${n.toLocaleString("en-US")} messages of mixed priority (deterministic mix) sent one by one into one mailbox (${fmtMs(sendMs)} for the sends), then drained by ${n.toLocaleString("en-US")} blocking receives; ${ctx.runs} runs. Order asserted on every run: strictly by priority, FIFO within a priority (ours and the raw baseline both pass). Baseline: one list per priority (RPUSH), drained with \`BLPOP urgent high normal low\`.`,
    `Drain rate per run: ours ${oursRates.map((x) => Math.round(x)).join(", ")} msg/s; raw ${rawRates.map((x) => Math.round(x)).join(", ")} msg/s.`,
  );
  ctx.rows.push({
    id: "B2",
    what: `priority drain, ${n / 1000}k mixed (order asserted)`,
    ours: fmtRate(ours, "msg"),
    baseline: `${fmtRate(base, "msg")} (multi-key BLPOP)`,
    ratio: fmtX(ours / base),
    p50p99: "—",
    spread: `${fmtPct(spread(oursRates))} (raw ${fmtPct(spread(rawRates))})`,
    target: "strict order; ≥ 0.5×",
    met: ours / base >= 0.5 ? "yes" : "no",
  });
  ctx.log(`B2: ours ${Math.round(ours)} msg/s, raw ${Math.round(base)} msg/s; order ok`);
  raw.disconnect();
  rawB.disconnect();
  await rig.close();
}

function assertOrder(got: { p: string; i: number }[], n: number, what: string): void {
  if (got.length !== n) throw new Error(`B2 ${what}: got ${got.length} of ${n}`);
  let lastRank = -1;
  let lastI = -1;
  for (const g of got) {
    const rank = PRIOS.indexOf(g.p as (typeof PRIOS)[number]);
    if (rank < lastRank) throw new Error(`B2 ${what}: ${g.p} message ${g.i} came after a lower priority`);
    if (rank === lastRank && g.i < lastI)
      throw new Error(`B2 ${what}: ${g.p} message ${g.i} came after ${lastI} (not FIFO)`);
    lastRank = rank;
    lastI = g.i;
  }
}

// ── B3 ────────────────────────────────────────────────────────────────────────────────────────────────────────

const WINDOW = 32;

/** Keeps up to WINDOW blocking reads outstanding on one connection until `n` items have arrived. */
async function windowedReceive(n: number, one: () => Promise<boolean>): Promise<void> {
  let got = 0;
  let issued = 0;
  await new Promise<void>((resolve, reject) => {
    const issue = () => {
      while (issued - got < WINDOW && issued < n) {
        issued++;
        one().then((ok) => {
          if (ok) got++;
          else issued--;
          if (got === n) resolve();
          else issue();
        }, reject);
      }
    };
    issue();
  });
}

export async function b3Throughput(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 20_000 : 100_000;
  const senders = 8;
  const lines = section(ctx, "B3", "Channel throughput, 8 senders → 1 receiver");
  const rig = await channelRig(ctx.redis.tcpUrl, "b3");
  const senderTowns = await Promise.all(
    Array.from({ length: senders }, () =>
      townOnRedis({ name: rig.town.name, url: ctx.redis.tcpUrl, config: rig.town.config }),
    ),
  );
  const rawSenders: Redis[] = Array.from({ length: senders }, () => rawClient(ctx.redis.tcpUrl));
  const rawRecv = rawClient(ctx.redis.tcpUrl);
  const key = "bench:b3";
  const oursRates: number[] = [];
  const rawRates: number[] = [];
  const per = n / senders;
  // Two runs at full size keep B3 near a minute (ours runs ~5k msg/s on this machine).
  const runs = ctx.quick ? 1 : 2;
  for (let r = 0; r < runs; r++) {
    // Ours: each sender keeps WINDOW sends in flight on its own connection; the receiver WINDOW receives.
    let t0 = nowMs();
    await Promise.all([
      windowedReceive(n, async () => (await receive(rig.town, rig.agentId, 5_000)) !== null),
      ...senderTowns.map((t) =>
        pool(per, WINDOW, () => sendMessage(t, { to: rig.agentName, from: "bench", body: BODY })),
      ),
    ]);
    oursRates.push(n / ((nowMs() - t0) / 1000));
    // Raw: pipelined LPUSH batches of WINDOW per sender; WINDOW BRPOPs outstanding.
    t0 = nowMs();
    await Promise.all([
      windowedReceive(n, async () => (await rawRecv.brpop(key, 5)) !== null),
      ...rawSenders.map(async (c) => {
        for (let i = 0; i < per; i += WINDOW) {
          const p = c.pipeline();
          for (let j = i; j < Math.min(per, i + WINDOW); j++) p.lpush(key, rawPayload(j));
          await p.exec();
        }
      }),
    ]);
    rawRates.push(n / ((nowMs() - t0) / 1000));
  }
  const ours = median(oursRates);
  const base = median(rawRates);
  // A diagnostic: the receive side alone, batched (drain takes up to 100 per round trip).
  for (let i = 0; i < 10_000; i += 500)
    await Promise.all(
      Array.from({ length: 500 }, () => sendMessage(rig.town, { to: "supervisor", from: "bench", body: BODY })),
    );
  const d0 = nowMs();
  let drained = 0;
  while (drained < 10_000) drained += (await drain(rig.town, "supervisor", 100)).length;
  const drainRate = 10_000 / ((nowMs() - d0) / 1000);
  lines.push(
    `${n.toLocaleString("en-US")} messages per run from ${senders} senders (own connection each, ${WINDOW} in flight) to one receiver (${WINDOW} blocking receives outstanding on its blocking connection); ${runs} runs.`,
    `Per run: ours ${oursRates.map((x) => Math.round(x)).join(", ")} msg/s; raw ${rawRates.map((x) => Math.round(x)).join(", ")} msg/s. Diagnostic: \`drain()\` (ZPOPMIN 100 per call) empties 10,000 messages at ${Math.round(drainRate).toLocaleString("en-US")} msg/s.`,
  );
  ctx.rows.push({
    id: "B3",
    what: `8 senders → 1 receiver, ${n / 1000}k msgs`,
    ours: fmtRate(ours, "msg"),
    baseline: `${fmtRate(base, "msg")} (pipelined LPUSH/BRPOP)`,
    ratio: fmtX(ours / base),
    p50p99: "—",
    spread: `${fmtPct(spread(oursRates))} (raw ${fmtPct(spread(rawRates))})`,
    target: "≥ 0.7×",
    met: ours / base >= 0.7 ? "yes" : "no",
  });
  ctx.log(`B3: ours ${Math.round(ours)} msg/s, raw ${Math.round(base)} msg/s`);
  for (const c of rawSenders) c.disconnect();
  rawRecv.disconnect();
  await Promise.all(senderTowns.map((t) => t.close()));
  await rig.close();
}
