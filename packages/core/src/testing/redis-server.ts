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
  const child = spawn(process.env.TT_REDIS_SERVER ?? "redis-server", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const url = `redis://127.0.0.1:${port}`;
  const until = Date.now() + 10_000;
  let version: string;
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
    try {
      await r.connect();
      const info = await r.info("server");
      const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
      version = /redis_version:(\S+)/.exec(info)?.[1] ?? "?";
      r.disconnect();
      // Another process may have taken the port between the probe and the start: only our own will do.
      if (pid !== child.pid) throw new Error(`port ${port} answered by pid ${pid}, not our redis-server ${child.pid}`);
      break;
    } catch (err) {
      r.disconnect();
      if (String(err).includes("not our redis-server")) throw err;
      if (Date.now() > until) throw new Error(`redis-server did not answer on ${port}: ${stderr}`, { cause: err });
      await new Promise((res) => setTimeout(res, 30));
    }
  }
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
