import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import {
  commandOnPath,
  CoreError,
  describeRedisUrl,
  initTown,
  listRunners,
  MODEL_PRESETS,
  modelNames,
  resolveModel,
  stopTown,
  townStatus,
  type Town,
} from "@tinytown/core";
import type { Ctx } from "../context";
import { ago, table } from "../output";

export function registerTownCommands(program: Command, ctx: Ctx) {
  const { paint } = ctx;

  program
    .command("init [name]")
    .description(
      "make this directory a town (tinytown.json + .tt/), with its own Redis unless --redis-url or REDIS_URL",
    )
    .option("-f, --force", "overwrite an existing tinytown.json")
    .option("--redis-url <url>", "use this Redis instead of starting one")
    .action(async (name: string | undefined, o: { force?: boolean; redisUrl?: string }) => {
      const dir = resolve(ctx.io.cwd, ctx.opts().town ?? ".");
      const town = await initTown({ dir, name, force: o.force, redisUrl: o.redisUrl ?? ctx.io.env.REDIS_URL });
      try {
        // The managed URL on TCP carries its password: never printed.
        const redis = describeRedisUrl(town.redisUrl);
        ctx.emit({ name: town.name, dir, redis, managed: town.managed }, () =>
          [
            `${paint("green", "✓")} town ${paint("bold", town.name)} initialised in ${dir}`,
            `  Redis: ${town.managed ? `managed, data in .tt/data (AOF) at ${redis}` : redis}`,
            "",
            "Next:",
            "  tt spawn worker-1 --model sim     # or claude, codex, auggie, aider, gemini, copilot, cursor",
            '  tt assign worker-1 "Implement the login API"',
            "  tt up                             # start a runner so agents do the work",
            "",
          ].join("\n"),
        );
      } finally {
        await town.close();
      }
    });

  program
    .command("status")
    .description("the town at a glance: Redis, runners, agents, tasks")
    .action(async () => {
      const town = await ctx.town();
      const s = await townStatus(town);
      ctx.emit(s, () => {
        const counts = (r: Record<string, number>) => {
          const total = Object.values(r).reduce((a, b) => a + b, 0);
          const parts = Object.entries(r)
            .filter(([, n]) => n > 0)
            .map(([k, n]) => `${n} ${paint(stateColourOf(k), k)}`);
          return `${total}${parts.length ? `: ${parts.join(", ")}` : ""}`;
        };
        const alive = s.runners.filter((r) => r.alive);
        return [
          `${paint("bold", "Town")}      ${s.name}${s.dir ? `  (${s.dir})` : ""}`,
          `${paint("bold", "Redis")}     ${s.redis.managed ? "managed" : "external"} · ${s.redis.url} · v${s.redis.version}${s.redis.pid ? ` · pid ${s.redis.pid}` : ""} · AOF ${s.redis.aof ? "on" : "off"} · ${(s.redis.memoryBytes / 1024 / 1024).toFixed(1)} MB`,
          `${paint("bold", "Runners")}   ${alive.length ? alive.map((r) => `${r.host}:${r.pid} (seen ${ago(r.lastSeen)})`).join(", ") : paint("yellow", "none running — agents wait in `starting` until you run `tt up`")}`,
          `${paint("bold", "Agents")}    ${counts(s.agents)}`,
          `${paint("bold", "Tasks")}     ${counts(s.tasks)}`,
          `${paint("bold", "Backlog")}   ${s.backlog}    ${paint("bold", "Supervisor inbox")} ${s.supervisorInbox}`,
          "",
        ].join("\n");
      });
    });

  program
    .command("models")
    .description("the models agents can run, and whether their CLI is installed here")
    .action(async () => {
      let custom = {};
      try {
        custom = (await ctx.town()).config.models;
      } catch (err) {
        if (!(err instanceof CoreError && err.code === "NOT_A_TOWN")) throw err;
      }
      const rows = modelNames(custom).map((name) => {
        const m = resolveModel(custom, name);
        const installed = m.kind === "simulated" || commandOnPath(m.command);
        return {
          name,
          kind: m.kind,
          command: m.kind === "simulated" ? "(built in)" : [m.command, ...m.args].join(" "),
          installed,
          label: m.label ?? "",
        };
      });
      ctx.emit(rows, () =>
        table(
          rows.map((r) => [r.name, r.kind, r.installed ? paint("green", "yes") : paint("gray", "no"), r.command]),
          ["MODEL", "KIND", "INSTALLED", "RUNS"],
          paint,
        ),
      );
    });

  program
    .command("up")
    .description("start the town: its Redis and runner processes in the background (the dashboard: npm start)")
    .option("-r, --runners <n>", "number of runner processes", "1")
    .action(async (o: { runners: string }) => {
      const town = await ctx.town();
      const n = Number(o.runners);
      if (!Number.isInteger(n) || n < 1 || n > 32)
        throw new CoreError("VALIDATION", "--runners must be a whole number from 1 to 32");
      const started = await startRunners(town, n);
      ctx.emit(
        { town: town.name, runners: started },
        () =>
          `${paint("green", "✓")} town ${town.name} is up: Redis ${describeRedisUrl(town.redisUrl)}, ${started.length} runner(s) (pids ${started.join(", ")})\n  logs: ${join(town.dir ?? ".", ".tt", "logs")}\n`,
      );
    });

  program
    .command("down")
    .description("stop the town's runners (running tasks are requeued) and its managed Redis")
    .option("--keep-redis", "leave the managed Redis running")
    .action(async (o: { keepRedis?: boolean }) => {
      const town = await ctx.town();
      const stopped = await stopRunners(town);
      const dir = town.dir;
      await ctx.close();
      const redis = !o.keepRedis && dir && town.managed ? await stopTown(dir) : false;
      ctx.emit(
        { runnersStopped: stopped, redisStopped: redis },
        () => `${paint("green", "✓")} stopped ${stopped.length} runner(s)${redis ? " and the managed Redis" : ""}\n`,
      );
    });
}

function stateColourOf(k: string) {
  return (
    ({ failed: "red", error: "red", completed: "green", idle: "green", running: "cyan", working: "cyan" } as const)[
      k
    ] ?? "dim"
  );
}

const runnerPidFile = (town: Town) => join(town.dir!, ".tt", "runners.json");

function readPids(town: Town): number[] {
  try {
    return (JSON.parse(readFileSync(runnerPidFile(town), "utf8")) as number[]).filter(isRunner);
  } catch {
    return [];
  }
}

function isRunner(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("tt-runner");
  } catch {
    return false;
  }
}

/** The runner's executable: the workspace package's bin. */
export function runnerBin(): string {
  const req = createRequire(import.meta.url);
  return join(dirname(req.resolve("@tinytown/runner/package.json")), "bin", "tt-runner.mjs");
}

/** Starts runners until `n` of this town's runners run on this machine; returns all their pids. */
export async function startRunners(town: Town, n: number): Promise<number[]> {
  if (!town.dir) throw new CoreError("VALIDATION", "tt up needs a town directory (tt init first)");
  const pids = readPids(town);
  const logs = join(town.dir, ".tt", "logs");
  mkdirSync(logs, { recursive: true });
  const bin = runnerBin();
  if (!existsSync(bin)) throw new CoreError("INTERNAL", `the runner is not installed at ${bin}: run \`pnpm build\``);
  while (pids.length < n) {
    const fd = openSync(join(logs, "runner.log"), "a");
    const child = spawn(process.execPath, [bin, "--town", town.dir], {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: { ...process.env, TT_TOWN_DIR: town.dir },
    });
    closeSync(fd);
    child.unref();
    pids.push(child.pid!);
  }
  writeFileSync(runnerPidFile(town), JSON.stringify(pids));
  // Wait until each new runner has registered, so `tt up && tt assign …` just works.
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const alive = (await listRunners(town)).filter((r) => r.alive && pids.includes(r.pid));
    if (alive.length >= pids.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return pids;
}

export async function stopRunners(
  town: Town,
  timeoutMs = (town.config.runner.shutdownGraceSec + town.config.runner.killGraceSec + 10) * 1000,
): Promise<number[]> {
  if (!town.dir) return [];
  const pids = readPids(town);
  for (const pid of pids) process.kill(pid, "SIGTERM");
  const until = Date.now() + timeoutMs;
  while (pids.some(isRunner) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids.filter(isRunner)) process.kill(pid, "SIGKILL");
  writeFileSync(runnerPidFile(town), "[]");
  return pids;
}

export { MODEL_PRESETS };
