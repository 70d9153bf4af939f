/**
 * A fault town: a private restartable Redis, a town directory whose config declares the fixture agents as
 * custom models, runner PROCESSES started from the built bin, and the `tt` CLI as a real process. Everything
 * started here is tracked by PID and stopped by PID in `close()`.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import {
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  existsSync,
  closeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { townOnRedis, type ModelSpec, type Town, type TownConfig } from "@tinytown/core";
import { uniqueTownName } from "@tinytown/core/testing";
import { FaultRedis } from "./redis";
import { Ledger } from "./ledger";
import { trackPid } from "./report";
import { processAlive } from "@tinytown/core";

export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
export const RUNNER_BIN = fileURLToPath(new URL("../../../apps/runner/bin/tt-runner.mjs", import.meta.url));
export const TT_BIN = fileURLToPath(new URL("../../../apps/cli/bin/tt.mjs", import.meta.url));

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface HarnessOptions {
  runner?: Partial<TownConfig["runner"]>;
  /** Extra env per fixture model, e.g. `{ work: { WORK_MIN_MS: "500" } }`. */
  env?: Partial<Record<FixtureName, Record<string, string>>>;
  /** Reuse a Redis (scenarios that do not kill it); default: a private one owned by the harness. */
  redis?: FaultRedis;
}

export type FixtureName = "work" | "hang" | "flood" | "signal" | "segv";

export interface RunnerProcess {
  id: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export class Harness {
  readonly runners = new Map<string, RunnerProcess>();
  /** Every runner pid ever started (for the orphan check). */
  readonly runnerPids: number[] = [];
  readonly ledger = new Ledger();
  runnerKills = 0;
  private runnerSeq = 0;
  private readonly extraTowns: Town[] = [];

  private constructor(
    readonly redis: FaultRedis,
    private readonly ownsRedis: boolean,
    readonly town: Town,
    readonly dir: string,
    /** Where the fixture agents leave their evidence (runs.jsonl). */
    readonly fx: string,
  ) {}

  static async create(opts: HarnessOptions = {}): Promise<Harness> {
    const redis = opts.redis ?? (await FaultRedis.start());
    const dir = mkdtempSync(join(tmpdir(), "tt-faults-"));
    const fx = join(dir, "fx");
    const model = (script: string, env: Record<string, string> = {}): ModelSpec => ({
      command: process.execPath,
      args: [join(FIXTURES, script)],
      prompt: "stdin",
      env: { FIXTURE_DIR: fx, ...env },
    });
    const models: Record<string, ModelSpec> = {
      work: model("work.mjs", opts.env?.work),
      hang: model("hang.mjs", opts.env?.hang),
      flood: model("flood.mjs", opts.env?.flood),
      signal: model("signal.mjs", { SIGNAL: "SIGKILL", ...opts.env?.signal }),
      segv: model("signal.mjs", { SIGNAL: "SIGSEGV", ...opts.env?.segv }),
    };
    const name = uniqueTownName("faults");
    const runner = { taskTimeoutSec: 60, maxAttempts: 3, killGraceSec: 0.5, shutdownGraceSec: 0.5, ...opts.runner };
    const config = { name, redis: { url: redis.url }, models, runner };
    writeFileSync(join(dir, "tinytown.json"), JSON.stringify(config, null, 2));
    try {
      const town = await townOnRedis({ name, url: redis.url, config: { models, runner }, dir });
      return new Harness(redis, !opts.redis, town, dir, fx);
    } catch (err) {
      if (!opts.redis) await redis.stop();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Another connection to the same town (a second server process, as far as Redis can tell); closed with the harness. */
  async connectAgain(): Promise<Town> {
    const t = await townOnRedis({ name: this.town.name, url: this.redis.url, config: this.town.config, dir: this.dir });
    this.extraTowns.push(t);
    return t;
  }

  /** Starts a runner process (the built bin) serving this town. */
  startRunner(id = `r${++this.runnerSeq}`): RunnerProcess {
    const log = openSync(join(this.dir, `runner-${id}.log`), "a");
    const env: NodeJS.ProcessEnv = { ...process.env, TT_RUNNER_ID: id, TT_LOG: "info" };
    delete env.TT_TOWN_DIR;
    delete env.REDIS_URL;
    const child = spawn(process.execPath, [RUNNER_BIN, "--town", this.dir], { env, stdio: ["ignore", log, log] });
    closeSync(log);
    this.runnerPids.push(child.pid!);
    trackPid(child.pid, "tt-runner");
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    const rp = { id, child, exited };
    this.runners.set(id, rp);
    return rp;
  }

  /** kill -9 of a runner process; resolves once it is gone. */
  async killRunner(id: string): Promise<void> {
    const rp = this.runners.get(id);
    if (!rp) throw new Error(`no runner ${id}`);
    rp.child.kill("SIGKILL");
    await rp.exited;
    this.runners.delete(id);
    this.runnerKills++;
  }

  /** Runs `tt` (the real CLI process) against this town; never hangs: killed after `timeoutMs`. */
  tt(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
    const started = Date.now();
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.REDIS_URL;
    delete env.TT_TOWN_DIR;
    delete env.TT_TOWN;
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [TT_BIN, "--town", this.dir, ...args],
        { env, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
          resolve({ code, stdout, stderr, ms: Date.now() - started });
        },
      );
    });
  }

  /** The fixture agents' evidence: one record per start/end, with pids. */
  evidence(): EvidenceRecord[] {
    const out: EvidenceRecord[] = [];
    if (!existsSync(this.fx)) return out;
    for (const f of readdirSync(this.fx).filter((f) => f.endsWith(".jsonl"))) {
      for (const line of readFileSync(join(this.fx, f), "utf8").split("\n"))
        if (line) out.push(JSON.parse(line) as EvidenceRecord);
    }
    return out;
  }

  runnerLog(id: string): string {
    try {
      return readFileSync(join(this.dir, `runner-${id}.log`), "utf8");
    } catch {
      return "";
    }
  }

  /** Stops every runner (SIGTERM, then SIGKILL by PID), closes the town, stops an owned Redis, removes the directory. */
  async close(): Promise<void> {
    await this.stopRunners();
    for (const t of [this.town, ...this.extraTowns]) await t.close().catch(() => undefined);
    if (this.ownsRedis) await this.redis.stop();
    if (!process.env.TT_FAULTS_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }

  async stopRunners(graceMs = 5_000): Promise<void> {
    const all = [...this.runners.values()];
    for (const rp of all) if (rp.child.exitCode === null && rp.child.signalCode === null) rp.child.kill("SIGTERM");
    await Promise.all(
      all.map(async (rp) => {
        const done = await Promise.race([rp.exited, sleep(graceMs).then(() => null)]);
        if (!done) {
          rp.child.kill("SIGKILL");
          await rp.exited;
        }
      }),
    );
    this.runners.clear();
  }
}

export interface EvidenceRecord {
  event: "start" | "end";
  task: string;
  agent?: string;
  pid: number;
  child?: number;
  at: number;
}

export { waitFor } from "@tinytown/core/testing";

/** Alive and not a zombie (core's check, shared with the managed Redis). */
export const pidAlive = processAlive;

/** Whether `pid` is alive and is the agent process of `taskId` (its environment names the task). */
export function isAgentProcessOf(pid: number, taskId: string): boolean {
  if (!pidAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`TT_TASK=${taskId}`);
  } catch {
    return false;
  }
}
