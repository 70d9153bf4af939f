/**
 * A private 3-master Redis Cluster for tests: three `redis-server --cluster-enabled yes` on free loopback ports
 * (each also needs its bus port, port + 10000), joined by `redis-cli --cluster create`, ready once every node
 * reports `cluster_state:ok`. No persistence; stopped by PID; its directory removed.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { startRedisServer, type TestRedis } from "./redis-server";

const run = promisify(execFile);

export interface TestCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3` */
  url: string;
  ports: number[];
  pids: number[];
  dir: string;
  stop(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free too, below the ephemeral range. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) return port;
  }
  throw new Error("no free port pair (p, p + 10000) for a cluster node");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startRedisCluster(opts: { masters?: number } = {}): Promise<TestCluster> {
  const n = opts.masters ?? 3;
  const dir = mkdtempSync(join(tmpdir(), "tt-cluster-"));
  const nodes: TestRedis[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const taken = new Set<number>();
    for (let i = 0; i < n; i++) {
      // Another process may take a port between the probe and the start: retry with another pair.
      for (let attempt = 0; ; attempt++) {
        const port = await freeClusterPort(taken);
        try {
          const node = await startRedisServer({
            port,
            extraArgs: [
              "--cluster-enabled",
              "yes",
              "--cluster-config-file",
              join(dir, `nodes-${port}.conf`),
              "--cluster-node-timeout",
              "5000",
            ],
          });
          nodes.push(node);
          taken.add(port).add(port + 10_000);
          break;
        } catch (err) {
          if (attempt >= 3) throw err;
        }
      }
    }
    const addrs = nodes.map((s) => `127.0.0.1:${s.port}`);
    const cli = process.env.TT_REDIS_CLI ?? "redis-cli";
    await run(cli, ["--cluster", "create", ...addrs, "--cluster-replicas", "0", "--cluster-yes"], { timeout: 30_000 });
    await waitClusterOk(nodes.map((s) => s.port));
    return {
      url: `redis+cluster://${addrs.join(",")}`,
      ports: nodes.map((s) => s.port),
      pids: nodes.map((s) => s.pid),
      dir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Waits until every node says cluster_state:ok and knows all of them. */
async function waitClusterOk(ports: number[], timeoutMs = 30_000): Promise<void> {
  const conns = ports.map((port) => {
    const r = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    r.on("error", () => {});
    return r;
  });
  try {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const infos = await Promise.all(conns.map((c) => c.cluster("INFO").then(String, () => "")));
      const ok = infos.every(
        (i) => /cluster_state:ok/.test(i) && new RegExp(`cluster_known_nodes:${ports.length}\\b`).test(i),
      );
      if (ok) return;
      if (Date.now() > until)
        throw new Error(`the test cluster did not reach cluster_state:ok:\n${infos.join("\n---\n")}`);
      await sleep(100);
    }
  } finally {
    for (const c of conns) c.disconnect();
  }
}
