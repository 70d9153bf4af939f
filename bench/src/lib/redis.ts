/**
 * Private redis-servers for the benchmarks: a free loopback port AND a unix socket in a temp dir, without
 * persistence or with AOF as a town's managed Redis ships (see {@link Persistence}). Stopped by PID.
 */
import { Redis } from "ioredis";
import { parseConfig } from "@tinytown/core/config";
import { startRedisServer } from "@tinytown/core/testing/redis-server";

export { freePort } from "@tinytown/core/testing/redis-server";

export interface BenchRedis {
  tcpUrl: string;
  unixUrl: string;
  socket: string;
  port: number;
  pid: number;
  version: string;
  stop(): Promise<void>;
}

/**
 * How the bench's Redis persists: `none` (no AOF, no snapshots), or `aof` as a town's managed Redis ships — AOF with
 * the `appendfsync` of the town config's default, on the same disk as the work tree (the test fixture's temp dir).
 */
export type Persistence = "none" | "aof";

/** The managed Redis's shipped `appendfsync` (the town config's default), so the bench follows it if it changes. */
export const MANAGED_APPENDFSYNC = parseConfig({ name: "bench" }).redis.appendfsync;

/** The test fixture's private server, with a unix socket too and room for 1,000+ clients (B6). */
export async function startBenchRedis(persistence: Persistence = "none"): Promise<BenchRedis> {
  const aof = persistence === "aof" ? ["--appendfsync", MANAGED_APPENDFSYNC] : [];
  const r = await startRedisServer({
    unixSocket: true,
    appendonly: persistence === "aof",
    extraArgs: ["--maxclients", "10000", "--loglevel", "warning", ...aof],
  });
  const unixUrl = r.unixUrl!;
  return {
    tcpUrl: r.url,
    unixUrl,
    socket: unixUrl.slice("unix://".length),
    port: r.port,
    pid: r.pid,
    version: r.version,
    stop: () => r.stop(),
  };
}

/** A plain ioredis client for a bench URL (tcp or unix://). */
export function rawClient(url: string): Redis {
  const opts = url.startsWith("unix://")
    ? { path: url.slice("unix://".length) }
    : { host: "127.0.0.1", port: Number(new URL(url).port) };
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
export function perUnit(
  before: Map<string, number>,
  after: Map<string, number>,
  units: number,
  top = 12,
): { text: string; total: number } {
  const rows = [...after.entries()]
    .map(([c, v]) => [c, (v - (before.get(c) ?? 0)) / units] as const)
    .filter(([c, v]) => v > 0.005 && c !== "info");
  rows.sort((a, b) => b[1] - a[1]);
  return {
    text: rows
      .slice(0, top)
      .map(([c, v]) => `${c} ${v.toFixed(1)}`)
      .join(", "),
    total: rows.reduce((a, [, v]) => a + v, 0),
  };
}
