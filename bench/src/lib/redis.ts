/**
 * Private redis-servers for the benchmarks: a free loopback port AND a unix socket in a temp dir, no
 * persistence (like the test fixture; the managed Redis of a town uses AOF everysec, which costs little at
 * these rates). Stopped by PID.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

export interface BenchRedis {
  tcpUrl: string;
  unixUrl: string;
  socket: string;
  port: number;
  pid: number;
  version: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

export async function startBenchRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tt-bench-redis-"));
  const socket = join(dir, "redis.sock");
  const args = [
    "--port", String(port), "--bind", "127.0.0.1", "--unixsocket", socket, "--unixsocketperm", "700",
    "--dir", dir, "--save", "", "--appendonly", "no", "--maxclients", "10000", "--loglevel", "warning",
  ];
  const child = spawn(process.env.TT_REDIS_SERVER ?? "redis-server", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const until = Date.now() + 10_000;
  let version: string;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${stderr}`);
    const r = new Redis({ path: socket, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    r.on("error", () => {});
    try {
      await r.connect();
      const info = await r.info("server");
      r.disconnect();
      const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
      if (pid !== child.pid) throw new Error(`socket answered by pid ${pid}, not our redis-server ${child.pid}`);
      version = /redis_version:(\S+)/.exec(info)?.[1] ?? "?";
      break;
    } catch (err) {
      r.disconnect();
      if (String(err).includes("not our redis-server")) throw err;
      if (Date.now() > until) throw new Error(`redis-server did not answer: ${stderr}`, { cause: err });
      await new Promise((res) => setTimeout(res, 30));
    }
  }
  return {
    tcpUrl: `redis://127.0.0.1:${port}`,
    unixUrl: `unix://${socket}`,
    socket,
    port,
    pid: child.pid,
    version,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((res) => child.once("exit", res));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((res) => setTimeout(res, 5000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A plain ioredis client for a bench URL (tcp or unix://). */
export function rawClient(url: string): Redis {
  const opts = url.startsWith("unix://") ? { path: url.slice("unix://".length) } : { host: "127.0.0.1", port: Number(new URL(url).port) };
  const r = new Redis({ ...opts, maxRetriesPerRequest: null, enableAutoPipelining: false });
  r.on("error", () => {});
  return r;
}

/** Calls per command (INFO commandstats) and the server's CPU seconds. */
export async function serverCounters(r: Redis): Promise<{ calls: Map<string, number>; cpu: number }> {
  const info = await r.info("all");
  const calls = new Map<string, number>();
  for (const [, cmd, n] of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) calls.set(cmd!, Number(n));
  const cpu = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]);
  return { calls, cpu };
}

/** "evalsha 12.0, hgetall 9.5, …": per-unit deltas between two counters, largest first. */
export function perUnit(before: Map<string, number>, after: Map<string, number>, units: number, top = 12): { text: string; total: number } {
  const rows = [...after.entries()].map(([c, v]) => [c, (v - (before.get(c) ?? 0)) / units] as const).filter(([c, v]) => v > 0.005 && c !== "info");
  rows.sort((a, b) => b[1] - a[1]);
  return { text: rows.slice(0, top).map(([c, v]) => `${c} ${v.toFixed(1)}`).join(", "), total: rows.reduce((a, [, v]) => a + v, 0) };
}
