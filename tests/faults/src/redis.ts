/**
 * A private redis-server that can be killed and brought back: a fixed loopback port and a fixed data directory,
 * AOF with `appendfsync always` (the managed Redis's default), so a restart replays everything it acknowledged.
 * Always our own server (REDIS_URL is ignored: the suite kills it); stopped by PID.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "@tinytown/core/testing";
import { trackPid } from "./report";

export class FaultRedis {
  private child: ChildProcess | null = null;
  /** Every pid this server has had (for the orphan check). */
  readonly pids: number[] = [];
  kills = 0;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<FaultRedis> {
    const r = new FaultRedis(await freePort(), mkdtempSync(join(tmpdir(), "tt-faults-redis-")));
    await r.up();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | null {
    return this.child && this.child.exitCode === null && this.child.signalCode === null
      ? (this.child.pid ?? null)
      : null;
  }

  /** Starts the server (again) on the same port from the same directory, and waits until it answers as itself. */
  async up(): Promise<void> {
    if (this.pid) return;
    const args = [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--dir",
      this.dir,
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "always",
    ];
    const child = spawn(process.env.TT_REDIS_SERVER ?? "redis-server", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    this.child = child;
    this.pids.push(child.pid!);
    trackPid(child.pid, "redis-server");
    const until = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${stderr}`);
      const r = new Redis({
        port: this.port,
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
        // Still loading the AOF answers LOADING errors above; once INFO answers, the data is there.
        const loading = /loading:1/.test(await r.info("persistence"));
        r.disconnect();
        if (pid !== child.pid)
          throw new Error(`port ${this.port} answered by pid ${pid}, not our redis-server ${child.pid}`);
        if (!loading) return;
      } catch (err) {
        r.disconnect();
        if (String(err).includes("not our redis-server")) throw err;
      }
      if (Date.now() > until) throw new Error(`redis-server did not answer on ${this.port}: ${stderr}`);
      await new Promise((res) => setTimeout(res, 25));
    }
  }

  /** kill -9 of the server process; resolves once it is gone. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || !this.pid) return;
    const exited = new Promise((res) => child.once("exit", res));
    child.kill("SIGKILL");
    await exited;
    this.kills++;
  }

  /** A plain client for the test itself (no retries: a failure should show). */
  client(): Redis {
    const r = new Redis({ port: this.port, host: "127.0.0.1", maxRetriesPerRequest: 1 });
    r.on("error", () => {});
    return r;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && this.pid) {
      const exited = new Promise((res) => child.once("exit", res));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((res) => setTimeout(res, 5000))]);
      if (this.pid) {
        child.kill("SIGKILL");
        await exited;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
