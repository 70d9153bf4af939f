/** Child processes of the benchmarks (runner processes, baseline workers, servers): started and stopped by PID. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createRedis,
  townOnRedis,
  type ModelSpec,
  type Town,
  type TownEvent,
  followEvents,
  lastEventId,
} from "@tinytown/core";
import { sleep } from "./stats";

export const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
export const BENCH = join(ROOT, "bench");
export const RUNNER_BIN = join(ROOT, "apps/runner/bin/tt-runner.mjs");
const TSX = ["--import", "tsx"];

const children = new Set<ChildProcess>();

/** Every child still alive is killed (by its PID) when the bench exits, even on a crash. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c, 3_000)));
}

export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** RSS of a process in MiB (from /proc), or NaN when it is gone. */
export function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * The trivial program of the dispatch benchmarks: `date +%s%N` prints the wall clock in ns the moment it runs,
 * so "its process has started" is read from its own output (the task's result), with no extra start-up cost.
 */
export const STAMP_MODEL: ModelSpec = { command: "/bin/date", args: ["+%s%N"], prompt: "stdin", env: {} };

/** Milliseconds (fractional) from `date +%s%N` output. */
export function stampMs(out: string): number {
  const s = /(\d{19})/.exec(out)?.[1];
  if (!s) return NaN;
  return Number(s.slice(0, -6)) + Number(s.slice(-6)) / 1e6;
}

export interface BenchTown {
  town: Town;
  dir: string;
  close(): Promise<void>;
}

let townSeq = 0;

/** A town directory (tinytown.json with the stamp model) on the bench Redis, and a core connection to it. */
export async function benchTown(
  url: string,
  prefix: string,
  extra: { events?: { maxLen: number } } = {},
): Promise<BenchTown> {
  const dir = mkdtempSync(join(tmpdir(), `tt-bench-${prefix}-`));
  const name = `${prefix}-${process.pid}-${++townSeq}`;
  const models = { stamp: STAMP_MODEL };
  const runner = { taskTimeoutSec: 60, maxAttempts: 3, killGraceSec: 0.5, shutdownGraceSec: 1 };
  const config = { name, redis: { url }, models, runner, ...(extra.events ? { events: extra.events } : {}) };
  writeFileSync(join(dir, "tinytown.json"), JSON.stringify(config, null, 2));
  const town = await townOnRedis({
    name,
    url,
    config: { models, runner, ...(extra.events ? { events: extra.events } : {}) },
    dir,
  });
  return { town, dir, close: () => town.close() };
}

/** A runner process (the built bin) serving the town; resolves once it has registered. */
export async function startRunnerProcess(bt: BenchTown, id: string): Promise<ChildProcess> {
  const log = openSync(join(bt.dir, `runner-${id}.log`), "a");
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: bt.town.redisUrl, TT_RUNNER_ID: id, TT_LOG: "warn" };
  delete env.TT_TOWN_DIR;
  const child = track(spawn(process.execPath, [RUNNER_BIN, "--town", bt.dir], { env, stdio: ["ignore", log, log] }));
  const until = Date.now() + 20_000;
  while (!(await bt.town.redis.hexists(bt.town.keys.runners, id))) {
    if (child.exitCode !== null)
      throw new Error(`runner ${id} exited with ${child.exitCode}; see ${bt.dir}/runner-${id}.log`);
    if (Date.now() > until) throw new Error(`runner ${id} did not register`);
    await sleep(20);
  }
  return child;
}

/** A TypeScript helper under bench/src/procs run with tsx; resolves when it prints "ready" (`readyLine` gets that line). */
export async function startHelper(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  readyLine?: (line: string) => void,
): Promise<ChildProcess> {
  const child = track(
    spawn(process.execPath, [...TSX, join(BENCH, "src/procs", script), ...args], {
      cwd: BENCH,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
  await new Promise<void>((resolve, reject) => {
    let buf = "";
    const onData = (d: Buffer) => {
      buf += d.toString();
      const line = buf.split("\n").find((l) => l.startsWith("ready"));
      if (line !== undefined && buf.includes("\n")) {
        readyLine?.(line);
        child.stdout!.off("data", onData);
        child.stdout!.resume();
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
  });
  return child;
}

/**
 * Follows the town's events from now on (a dedicated blocking connection) and counts those matching `match`;
 * `until(n)` resolves when n have been seen.
 */
export async function eventCounter(town: Town, match: (e: TownEvent) => boolean, onEvent?: (e: TownEvent) => void) {
  const conn = createRedis(town.redisUrl, { blocking: true, connectionName: "bench:events" });
  conn.on("error", () => {});
  const ac = new AbortController();
  const after = await lastEventId(town);
  let seen = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const loop = (async () => {
    try {
      for await (const e of followEvents(town, { after, signal: ac.signal, connection: conn, blockMs: 1_000 })) {
        onEvent?.(e);
        if (!match(e)) continue;
        seen++;
        for (const w of waiters.filter((w) => seen >= w.n)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    } catch {
      /* stopped */
    }
  })();
  return {
    get seen() {
      return seen;
    },
    until(n: number, timeoutMs: number): Promise<void> {
      if (seen >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = { n, resolve: () => (clearTimeout(t), resolve()) };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`timed out after ${timeoutMs} ms: saw ${seen} of ${n} events`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    async stop() {
      ac.abort();
      conn.disconnect();
      await loop;
    },
  };
}

/** Runs `fn` over 0..n-1 with at most `concurrency` in flight. */
export async function pool(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** CPU seconds (user + system) a process has used, from /proc; NaN when it is gone. */
export function cpuSec(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}
