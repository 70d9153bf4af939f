/**
 * A private redis-server that can be killed and brought back: a fixed loopback port and a fixed data directory,
 * AOF with `appendfsync always` (the managed Redis's default), so a restart replays everything it acknowledged.
 * Always our own server (REDIS_URL is ignored: the suite kills it); stopped by PID.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort, spawnOwnRedis } from "@tinytown/core/testing";
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
    const { child } = await spawnOwnRedis(this.port, args, 15_000);
    this.child = child;
    this.pids.push(child.pid);
    trackPid(child.pid, "redis-server");
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
