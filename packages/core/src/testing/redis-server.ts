/**
 * A private redis-server for tests: a free loopback port, no persistence unless asked, stopped by PID.
 * Tests use REDIS_URL when it is set instead.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

export interface TestRedis {
  url: string;
  port: number;
  /** `unix://…` when started with `unixSocket`. */
  unixUrl: string | null;
  pid: number;
  /** redis_version of the server. */
  version: string;
  dir: string;
  process: ChildProcess;
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

/**
 * Starts `redis-server` with `args` on a loopback `port` and waits until that port is answered by this very process
 * (another may have taken the port between the probe and the start) and any AOF is loaded. Throws with the server's
 * stderr if it exits or does not answer within `timeoutMs`.
 */
export async function spawnOwnRedis(
  port: number,
  args: readonly string[],
  timeoutMs = 10_000,
): Promise<{ child: ChildProcess & { pid: number }; version: string }> {
  const child = spawn(process.env.TT_REDIS_SERVER ?? "redis-server", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${stderr}`);
    const r = new Redis({
      port,
      host: "127.0.0.1",
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    r.on("error", () => {});
    let failure: unknown = null;
    try {
      await r.connect();
      const info = await r.info();
      const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
      if (pid !== child.pid) throw new Error(`port ${port} answered by pid ${pid}, not our redis-server ${child.pid}`);
      // While an AOF loads, INFO answers with loading:1; once it says 0, everything acknowledged is back.
      if (!/loading:1/.test(info))
        return {
          child: child as ChildProcess & { pid: number },
          version: /redis_version:(\S+)/.exec(info)?.[1] ?? "?",
        };
    } catch (err) {
      if (String(err).includes("not our redis-server")) {
        child.kill("SIGKILL");
        throw err;
      }
      failure = err;
    } finally {
      r.disconnect();
    }
    if (Date.now() > until) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not answer on ${port}: ${stderr}`, { cause: failure });
    }
    await new Promise((res) => setTimeout(res, 25));
  }
}

export async function startRedisServer(
  opts: { appendonly?: boolean; port?: number; unixSocket?: boolean; extraArgs?: string[] } = {},
): Promise<TestRedis> {
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "tt-redis-"));
  const socket = opts.unixSocket ? join(dir, "redis.sock") : null;
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    opts.appendonly ? "yes" : "no",
    "--appendfsync",
    "everysec",
    ...(socket ? ["--unixsocket", socket, "--unixsocketperm", "700"] : []),
    ...(opts.extraArgs ?? []),
  ];
  const { child, version } = await spawnOwnRedis(port, args);
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    port,
    unixUrl: socket ? `unix://${socket}` : null,
    pid: child.pid,
    version,
    dir,
    process: child,
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
