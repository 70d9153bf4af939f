/**
 * The real `tt` binary in real processes, with real signals: follow commands stop on the first Ctrl-C even while
 * Redis is down, `tt down` stops only this town's runners and takes the town down (and `tt status` then says so
 * instead of restarting Redis), and `tt ui` serves the dashboard launcher's process and prints its URL.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { freePort, startRedisServer, uniqueTownName, type TestRedis } from "@tinytown/core/testing";
import { processAlive } from "@tinytown/core";

const bin = join(import.meta.dirname, "..", "bin", "tt.mjs");
const baseEnv = { ...process.env, REDIS_URL: undefined, TT_TOWN_DIR: undefined, NO_COLOR: "1" };

function ttSync(dir: string, args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, env: { ...baseEnv, ...env }, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Running {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function ttSpawn(dir: string, args: string[], env: Record<string, string | undefined> = {}): Running {
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...baseEnv, ...env } });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once("exit", (code, signal) => r({ code, signal })),
  );
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  return { child, out: () => out, err: () => err, exited };
}

async function until<T>(what: string, fn: () => T | null | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe("follow commands while Redis is down", () => {
  for (const [what, args, signal, code] of [
    ["tt events -f, Ctrl-C", ["events", "-f"], "SIGINT", 130],
    ["tt events -f, SIGTERM", ["events", "-f"], "SIGTERM", 143],
    ["tt logs -f of a task, Ctrl-C", ["logs", "TASK", "-f"], "SIGINT", 130],
  ] as const) {
    test(`${what}: stops at the first signal, says 'Redis unreachable' once, no stack traces`, async () => {
      const server: TestRedis = await startRedisServer();
      cleanups.push(() => server.stop());
      const dir = mkdtempSync(join(tmpdir(), "tt-follow-"));
      expect(ttSync(dir, ["init", uniqueTownName("follow"), "--redis-url", server.url]).code).toBe(0);
      ttSync(dir, ["spawn", "w", "--model", "sim"]);
      const task = JSON.parse(ttSync(dir, ["--json", "assign", "w", "never runs"]).out) as { id: string };
      const run = ttSpawn(
        dir,
        args.map((a) => (a === "TASK" ? task.id : a)),
      );
      // Following: the blocking read is issued. Then Redis goes away for good.
      await new Promise((r) => setTimeout(r, 1_000));
      await server.stop();
      await until("the outage notice", () => run.err().includes("Redis unreachable"));
      await new Promise((r) => setTimeout(r, 2_500));
      const sent = Date.now();
      run.child.kill(signal);
      const end = await Promise.race([run.exited, new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
      expect(end, `still running 5 s after ${signal}; stderr:\n${run.err()}`).not.toBeNull();
      expect(end!.code).toBe(code);
      expect(Date.now() - sent).toBeLessThan(2_000);
      expect(run.err().match(/Redis unreachable, retrying/g)).toHaveLength(1);
      expect(run.err()).not.toMatch(/Unhandled error event|ECONNREFUSED|\n\s+at /);
    });
  }
});

describe("tt down and tt status", () => {
  test("tt down stops only this town's runners (by pid file and town dir), with progress", async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    const dir = mkdtempSync(join(tmpdir(), "tt-down-"));
    expect(ttSync(dir, ["init", uniqueTownName("down"), "--redis-url", server.url]).code).toBe(0);
    // Stand-ins that look like runners: ours, another town's (a reused pid must not be taken), and something else.
    const fake = join(mkdtempSync(join(tmpdir(), "tt-fake-")), "tt-runner.mjs");
    writeFileSync(
      fake,
      "process.on('SIGTERM', () => setTimeout(() => process.exit(0), 1500)); setInterval(() => {}, 1000);\n",
    );
    const start = (...args: string[]) => {
      const c = spawn(process.execPath, [fake, ...args], { stdio: "ignore" });
      cleanups.push(() => void c.kill("SIGKILL"));
      return c;
    };
    const ours = start("--town", dir);
    const theirs = start("--town", join(tmpdir(), "another-town"));
    const other = start("--serve");
    mkdirSync(join(dir, ".tt"), { recursive: true });
    writeFileSync(join(dir, ".tt", "runners.json"), JSON.stringify([ours.pid, theirs.pid, other.pid]));
    await new Promise((r) => setTimeout(r, 300));
    const r = ttSync(dir, ["down"]);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`stopping 1 runner(s) (pid ${ours.pid}): running tasks are requeued`);
    expect(r.out).toMatch(/stopped 1 runner\(s\)/);
    expect(processAlive(ours.pid!)).toBe(false);
    expect(processAlive(theirs.pid!)).toBe(true);
    expect(processAlive(other.pid!)).toBe(true);
  });

  test("after tt down, tt status says the town is down (exit 5) and starts nothing; tt up brings it back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tt-status-"));
    cleanups.push(() => {
      ttSync(dir, ["down"]);
      rmSync(dir, { recursive: true, force: true });
    });
    expect(ttSync(dir, ["init", "downtown"]).code).toBe(0);
    const pid = Number(readFileSync(join(dir, ".tt", "redis.pid"), "utf8"));
    expect(ttSync(dir, ["down"]).out).toMatch(/and the managed Redis; town downtown is down \(tt up brings it back\)/);
    expect(processAlive(pid)).toBe(false);
    const s = ttSync(dir, ["status"]);
    expect(s.code).toBe(5);
    expect(s.out).toMatch(/State\s+down: its Redis and runners were stopped with `tt down`/);
    expect(s.out).toContain("Bring it up with: tt up");
    expect(JSON.parse(ttSync(dir, ["--json", "status"]).out)).toMatchObject({ name: "downtown", up: false });
    // Nothing started it again, and other commands say the same.
    expect(() => readFileSync(join(dir, ".tt", "redis.pid"))).toThrow();
    const list = ttSync(dir, ["list"]);
    expect(list.code).toBe(5);
    expect(list.err).toMatch(/town downtown is down \(stopped with `tt down`\): bring it up with `tt up`/);
    expect(ttSync(dir, ["up", "--runners", "0"]).out).toMatch(/town downtown is up: Redis unix:\/\/.*, 0 runner/);
    expect(ttSync(dir, ["status"]).code).toBe(0);
  });
});

describe("tt ui", () => {
  /** A stand-in for the built web app: a server.mjs that serves /api/health on --host/--port, recording what it got. */
  function fakeWeb(): string {
    const web = mkdtempSync(join(tmpdir(), "tt-web-"));
    mkdirSync(join(web, ".next"));
    writeFileSync(join(web, ".next", "BUILD_ID"), "test\n");
    mkdirSync(join(web, "dist"));
    writeFileSync(join(web, "dist", "server.js"), "// built\n");
    writeFileSync(
      join(web, "server.mjs"),
      `import http from "node:http"; import fs from "node:fs";
const a = process.argv.slice(2); const host = a[a.indexOf("--host") + 1]; const port = Number(a[a.indexOf("--port") + 1]);
fs.writeFileSync(${JSON.stringify(join(web, "launched.json"))}, JSON.stringify({ argv: a, cwd: process.cwd(), town: process.env.TT_TOWN_DIR, pid: process.pid }));
http.createServer((req, res) => res.end(req.url === "/api/health" ? '{"status":"ok"}' : "board")).listen(port, host);
`,
    );
    return web;
  }

  afterAll(() => undefined);

  test("serves the dashboard for the town it is run in, prints the URL, and stops it on Ctrl-C", async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    const dir = mkdtempSync(join(tmpdir(), "tt-ui-"));
    expect(ttSync(dir, ["init", uniqueTownName("ui"), "--redis-url", server.url]).code).toBe(0);
    const web = fakeWeb();
    const port = await freePort();
    const run = ttSpawn(dir, ["ui", "--port", String(port)], { TT_WEB_DIR: web });
    const url = `http://127.0.0.1:${port}`;
    await until("the URL", () => run.out().includes(url), 20_000);
    expect(run.out()).toContain(`dashboard for ${dir}: ${url}`);
    expect(await (await fetch(`${url}/api/health`)).json()).toEqual({ status: "ok" });
    const launched = JSON.parse(readFileSync(join(web, "launched.json"), "utf8")) as {
      argv: string[];
      cwd: string;
      town: string;
      pid: number;
    };
    expect(launched).toMatchObject({
      argv: ["--host", "127.0.0.1", "--port", String(port), "--town", dir],
      cwd: web,
      town: dir,
    });
    run.child.kill("SIGINT");
    expect((await run.exited).code).toBe(130);
    await until("the dashboard process to stop", () => !processAlive(launched.pid), 5_000);
  });

  test("says clearly when the dashboard is not built", async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    const dir = mkdtempSync(join(tmpdir(), "tt-ui-"));
    expect(ttSync(dir, ["init", uniqueTownName("ui"), "--redis-url", server.url]).code).toBe(0);
    const r = ttSync(dir, ["ui"], { TT_WEB_DIR: mkdtempSync(join(tmpdir(), "tt-noweb-")) });
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/the dashboard is not built .*run `pnpm build` in the Tinytown checkout/);
  });
});
