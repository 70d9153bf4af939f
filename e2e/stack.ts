/**
 * A stack of a spec's own, for specs that stop and start its parts (the shared stack of global-setup.ts must stay
 * up for the others): a redis-server with its data on disk (AOF), a town on it, and the dashboard server — each
 * stopped and started again on the same port, so a page that stays open sees it go away and come back.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { connectTown, type Town } from "@tinytown/core";
import { freePort } from "@tinytown/core/testing/redis-server";

const ROOT = resolve(import.meta.dirname, "..");
const TT = join(ROOT, "apps/cli/bin/tt.mjs");
const WEB_SERVER = join(ROOT, "apps/web/server.mjs");
const RUNNER = join(ROOT, "apps/runner/bin/tt-runner.mjs");

async function until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready within ${ms} ms`);
}

async function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

export class OwnStack {
  readonly dir = mkdtempSync(join(tmpdir(), "tt-e2e-own-"));
  redisPort = 0;
  webPort = 0;
  private redis: ChildProcess | null = null;
  private web: ChildProcess | null = null;
  private runner: ChildProcess | null = null;
  town: Town | null = null;

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.redisPort}`;
  }
  get base(): string {
    return `http://127.0.0.1:${this.webPort}`;
  }

  /** Redis, a town initialised on it, the dashboard; `town` is a core connection for changes "from the CLI". */
  async start(name: string): Promise<this> {
    this.redisPort = await freePort();
    this.webPort = await freePort();
    await this.startRedis();
    const init = spawnSync(process.execPath, [TT, "--town", this.dir, "init", name, "--redis-url", this.redisUrl], {
      env: { ...process.env, NO_COLOR: "1" },
      encoding: "utf8",
    });
    if (init.status !== 0) throw new Error(`tt init failed: ${init.stderr}`);
    await this.startWeb();
    this.town = await connectTown({ env: { TT_TOWN_DIR: this.dir, REDIS_URL: this.redisUrl } });
    return this;
  }

  async startRedis(): Promise<void> {
    const log = openSync(join(this.dir, "redis.log"), "a");
    this.redis = spawn(
      process.env.TT_REDIS_SERVER ?? "redis-server",
      ["--port", String(this.redisPort), "--bind", "127.0.0.1", "--dir", this.dir, "--save", ""].concat([
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
      ]),
      { stdio: ["ignore", log, log] },
    );
    await until("redis-server", async () => {
      const r = spawnSync("redis-cli", ["-p", String(this.redisPort), "ping"], { encoding: "utf8" });
      return r.stdout.trim() === "PONG";
    });
  }

  /** SIGTERM: Redis writes its AOF and exits, as `tt down` stops it. */
  stopRedis(): Promise<void> {
    return stopChild(this.redis);
  }

  async startWeb(): Promise<void> {
    const log = openSync(join(this.dir, "web.log"), "a");
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: this.redisUrl, NODE_ENV: "production" };
    delete env.TT_TOWN_DIR;
    this.web = spawn(
      process.execPath,
      [WEB_SERVER, "--host", "127.0.0.1", "--port", String(this.webPort), "--town", this.dir],
      { env, stdio: ["ignore", log, log] },
    );
    await until("the dashboard", async () => (await fetch(`${this.base}/api/health`)).ok);
  }

  stopWeb(): Promise<void> {
    return stopChild(this.web);
  }

  /** A runner for this town (`tt-runner --town`), ready once the town lists it. */
  async startRunner(): Promise<void> {
    const log = openSync(join(this.dir, "runner.log"), "a");
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: this.redisUrl };
    delete env.TT_TOWN_DIR;
    this.runner = spawn(process.execPath, [RUNNER, "--town", this.dir], { env, stdio: ["ignore", log, log] });
    await until("the runner", async () => (await this.town!.redis.hlen(this.town!.keys.runners)) > 0);
  }

  async stop(): Promise<void> {
    await this.town?.close().catch(() => undefined);
    await this.stopWeb();
    await stopChild(this.runner);
    await this.stopRedis();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
