/**
 * B6: one change → seen by N SSE subscribers of the real tRPC `town.events` subscription (the api's router and
 * live hub in their own server process), against raw Redis PUBLISH → N SUBSCRIBE connections.
 */
import type { ChildProcess } from "node:child_process";
import { Agent, get, type ClientRequest } from "node:http";
import { createTask } from "@tinytown/core";
import type { Redis } from "ioredis";
import { section, type BenchContext } from "../context";
import { benchTown, rssMiB, startHelper, stopChild } from "../lib/procs";
import { rawClient } from "../lib/redis";
import { fmtMiB, fmtMs, fmtX } from "../lib/report";
import { median, nowMs, percentile, sleep, sortNum } from "../lib/stats";

interface Subscribers {
  /** Resolves with each subscriber's arrival time of the first chunk containing `marker`. */
  arrivals(marker: string, timeoutMs: number): Promise<number[]>;
  close(): void;
}

/** SSE subscriptions being opened at once (not yet ready). */
const CONNECTING = 200;

async function sseSubscribers(port: number, n: number): Promise<Subscribers> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const reqs: ClientRequest[] = [];
  let want: { marker: string; times: (number | null)[]; seen: number; resolve: () => void } | null = null;
  let ready = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`B6: only ${ready} of ${n} SSE subscriptions ready`)), 180_000);
    // At most CONNECTING subscriptions not yet ready at a time: 5,000 at once overflow the server's listen backlog.
    let opened = 0;
    const openNext = () => {
      while (opened < n && opened - ready < CONNECTING) open(opened++);
    };
    const open = (i: number) => {
      const req = get(
        { host: "127.0.0.1", port, path: "/api/trpc/town.events", agent, headers: { accept: "text/event-stream" } },
        (res) => {
          let isReady = false;
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            if (!isReady && chunk.includes("stream.ready")) {
              isReady = true;
              if (++ready === n) {
                clearTimeout(timer);
                resolve();
              } else openNext();
            }
            const w = want;
            if (w && w.times[i] === null && chunk.includes(w.marker)) {
              w.times[i] = nowMs();
              if (++w.seen === n) w.resolve();
            }
          });
        },
      );
      req.on("error", (err) => reject(err));
      reqs.push(req);
    };
    openNext();
  });
  return {
    arrivals(marker, timeoutMs) {
      return new Promise((resolve, reject) => {
        const w = {
          marker,
          times: Array<number | null>(n).fill(null),
          seen: 0,
          resolve: () => resolve(w.times as number[]),
        };
        want = w;
        setTimeout(
          () => reject(new Error(`B6: ${w.times.filter((t) => t !== null).length} of ${n} subscribers saw the change`)),
          timeoutMs,
        );
      });
    },
    close() {
      for (const r of reqs) r.destroy();
      agent.destroy();
    },
  };
}

async function rawSubscribers(url: string, n: number, channel: string): Promise<Subscribers & { conns: Redis[] }> {
  const conns = Array.from({ length: n }, () => rawClient(url));
  let want: { marker: string; times: (number | null)[]; seen: number; resolve: () => void } | null = null;
  await Promise.all(
    conns.map(async (c, i) => {
      c.on("message", (_ch: string, msg: string) => {
        const w = want;
        if (w && w.times[i] === null && msg.includes(w.marker)) {
          w.times[i] = nowMs();
          if (++w.seen === n) w.resolve();
        }
      });
      await c.subscribe(channel);
    }),
  );
  return {
    conns,
    arrivals(marker, timeoutMs) {
      return new Promise((resolve, reject) => {
        const w = {
          marker,
          times: Array<number | null>(n).fill(null),
          seen: 0,
          resolve: () => resolve(w.times as number[]),
        };
        want = w;
        setTimeout(() => reject(new Error("B6 raw: not every subscriber saw the message")), timeoutMs);
      });
    },
    close() {
      for (const c of conns) c.disconnect();
    },
  };
}

export async function b6FanOut(ctx: BenchContext): Promise<void> {
  const changes = ctx.quick ? 3 : 7;
  const lines = section(ctx, "B6", "Live fan-out: one change → every SSE subscriber");
  const bt = await benchTown(ctx.redis.tcpUrl, "b6");
  let port = 0;
  const server: ChildProcess = await startHelper(
    "sse-server.ts",
    [ctx.redis.tcpUrl, bt.town.name],
    {},
    (l) => (port = Number(l.split(" ")[1])),
  );
  const rssIdle = rssMiB(server.pid);
  const publisher = rawClient(ctx.redis.tcpUrl);
  lines.push(
    `The api's tRPC router with its live event hub in a node http server process (tRPC standalone adapter: the same \`resolveResponse\` the Next route's fetch handler uses); N plain HTTP SSE clients of \`town.events\` in the bench process. A change is \`createTask\` through core; the clock runs from just before the call until each subscriber's socket delivers the chunk holding the new task's id. ${changes} changes per level, 300 ms apart; p50/p99 over all subscribers × changes (median of per-change p99 in brackets). Baseline: N ioredis connections SUBSCRIBEd to one channel, one PUBLISH.`,
    `Server RSS idle: ${fmtMiB(rssIdle)}.`,
    "",
    "| Subscribers | Ours p50 | Ours p99 | Raw p50 | Raw p99 | p99 ratio | Server RSS with N connected |",
    "|---|---|---|---|---|---|---|",
  );
  for (const n of ctx.quick ? [100, 1000] : [100, 1000, 5000]) {
    const subs = await sseSubscribers(port, n);
    await sleep(300);
    const rss = rssMiB(server.pid);
    const ours: number[] = [];
    const oursP99: number[] = [];
    for (let c = 0; c < changes; c++) {
      const marker = `b6-change-${n}-${c}-${Date.now()}`;
      const wait = subs.arrivals(marker, 30_000);
      const t0 = nowMs();
      await createTask(bt.town, { description: marker, by: "bench" });
      const times = (await wait).map((t) => t - t0);
      ours.push(...times);
      oursP99.push(percentile(sortNum(times), 99));
      await sleep(300);
    }
    subs.close();
    const raw = await rawSubscribers(ctx.redis.tcpUrl, n, "bench:b6");
    const rawLat: number[] = [];
    for (let c = 0; c < changes; c++) {
      const marker = `raw-${n}-${c}-${Date.now()}`;
      const wait = raw.arrivals(marker, 30_000);
      const t0 = nowMs();
      await publisher.publish("bench:b6", JSON.stringify({ type: "task.created", marker, pad: "x".repeat(300) }));
      rawLat.push(...(await wait).map((t) => t - t0));
      await sleep(300);
    }
    raw.close();
    const o = sortNum(ours);
    const r = sortNum(rawLat);
    const o99 = percentile(o, 99);
    lines.push(
      `| ${n} | ${fmtMs(percentile(o, 50))} | ${fmtMs(o99)} (${fmtMs(median(oursP99))}) | ${fmtMs(percentile(r, 50))} | ${fmtMs(percentile(r, 99))} | ${fmtX(o99 / percentile(r, 99))} | ${fmtMiB(rss)} |`,
    );
    ctx.rows.push({
      id: "B6",
      what: `fan-out to ${n} SSE subscribers`,
      ours: `p99 ${fmtMs(o99)}`,
      baseline: `p99 ${fmtMs(percentile(r, 99))} (PUBLISH→SUBSCRIBE)`,
      ratio: fmtX(o99 / percentile(r, 99)),
      p50p99: `${fmtMs(percentile(o, 50))}/${fmtMs(o99)} (raw ${fmtMs(percentile(r, 50))}/${fmtMs(percentile(r, 99))})`,
      spread: `per-change p99 ${fmtMs(Math.min(...oursP99))}–${fmtMs(Math.max(...oursP99))}`,
      target: n === 1000 ? `p99 ≤ 80 ms; RSS ${fmtMiB(rss)}` : `report; RSS ${fmtMiB(rss)}`,
      met: n === 1000 ? (o99 <= 80 ? "yes" : "no") : "n/a",
    });
    ctx.log(
      `B6 ${n}: ours p50 ${fmtMs(percentile(o, 50))} p99 ${fmtMs(o99)}; raw p99 ${fmtMs(percentile(r, 99))}; server RSS ${fmtMiB(rss)}`,
    );
    await sleep(500);
  }
  publisher.disconnect();
  await stopChild(server);
  await bt.close();
}
