import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import {
  commandOnPath,
  CoreError,
  describeRedisUrl,
  findTown,
  formatUsageLine,
  agentRateLimits,
  getTownUsage,
  initTown,
  installHint,
  isCoreError,
  listRunners,
  MODEL_PRESETS,
  modelNames,
  resolveModel,
  stopTown,
  townIsDown,
  townStatus,
  type Town,
  type TownConfig,
} from "@tinytown/core";
import type { Ctx } from "../context";
import { serveDashboard } from "../dashboard";
import { host, int, port } from "../options";
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
    .description("the town at a glance: Redis, runners, agents, tasks (says so when the town is down)")
    .action(async () => {
      let town: Town;
      try {
        town = await ctx.town();
      } catch (err) {
        // A town taken down with `tt down` is a state to report, not a failure to explain (exit 5 all the same).
        if (!isCoreError(err, "REDIS_UNAVAILABLE") || !err.details.down) throw err;
        ctx.exitCode = 5;
        const { town: name, dir } = err.details as { town: string; dir: string };
        return ctx.emit({ name, dir, up: false, hint: "tt up" }, () =>
          [
            `${paint("bold", "Town")}      ${name}  (${dir})`,
            `${paint("bold", "State")}     ${paint("yellow", "down")}: its Redis and runners were stopped with \`tt down\``,
            "",
            "Bring it up with: tt up",
            "",
          ].join("\n"),
        );
      }
      const [s, usage, limited] = await Promise.all([townStatus(town), getTownUsage(town), agentRateLimits(town)]);
      const rateLimited = Object.fromEntries(limited);
      ctx.emit({ ...s, up: true, usage: { today: usage.today, week: usage.week }, rateLimited }, () => {
        const counts = (r: Record<string, number>) => {
          const total = Object.values(r).reduce((a, b) => a + b, 0);
          const parts = Object.entries(r)
            .filter(([, n]) => n > 0)
            .map(([k, n]) => `${n} ${paint(stateColourOf(k), k)}`);
          return `${total}${parts.length ? `: ${parts.join(", ")}` : ""}`;
        };
        const alive = s.runners.filter((r) => r.alive);
        const dead = s.runners.filter((r) => !r.alive);
        const runners = [
          ...alive.map((r) => `${r.host}:${r.pid} (seen ${ago(r.lastSeen)})`),
          ...dead.map((r) => paint("red", `${r.host}:${r.pid} dead (last seen ${ago(r.lastSeen)})`)),
        ];
        return [
          `${paint("bold", "Town")}      ${s.name}${s.dir ? `  (${s.dir})` : ""}`,
          `${paint("bold", "Redis")}     ${s.redis.managed ? "managed" : "external"} · ${s.redis.url} · v${s.redis.version}${s.redis.pid ? ` · pid ${s.redis.pid}` : ""} · AOF ${s.redis.aof ? `on (appendfsync ${s.redis.managed ? town.config.redis.appendfsync : "as configured"})` : "off"} · ${(s.redis.memoryBytes / 1024 / 1024).toFixed(1)} MB`,
          `${paint("bold", "Runners")}   ${runners.length ? runners.join(", ") : ""}${alive.length ? "" : `${runners.length ? "; " : ""}${paint("yellow", "none running: agents take no work until you run `tt up`")}`}`,
          `${paint("bold", "Agents")}    ${counts(s.agents)}`,
          `${paint("bold", "Tasks")}     ${counts(s.tasks)}`,
          `${paint("bold", "Backlog")}   ${s.backlog}    ${paint("bold", "Supervisor inbox")} ${s.supervisorInbox}`,
          `${paint("bold", "Today")}     ${formatUsageLine(usage.today.tokens, usage.today.usd)}`,
          `${paint("bold", "This week")} ${formatUsageLine(usage.week.tokens, usage.week.usd)}`,
          ...(limited.size > 0
            ? [
                `${paint("bold", "Limited")}   ${paint("yellow", `${limited.size} agent${limited.size === 1 ? "" : "s"} rate-limited until ${new Date(Math.min(...limited.values())).toISOString().slice(11, 16)} UTC (the earliest)`)}`,
              ]
            : []),
          ...(s.waitingForHuman > 0
            ? [
                `${paint("bold", "Waiting")}   ${paint("yellow", `${s.waitingForHuman} question(s) wait for a human`)}: tt needs`,
              ]
            : []),
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
        if (!(err instanceof CoreError && (err.code === "NOT_A_TOWN" || err.code === "REDIS_UNAVAILABLE"))) throw err;
        custom = findTown(ctx.townEnv())?.config.models ?? {};
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
          install: installed ? null : installHint(m),
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
    .description("bring the town up: its Redis and runner processes in the background (the dashboard: tt ui)")
    .option("-r, --runners <n>", "number of runner processes (0: only the Redis)", int({ min: 0, max: 32 }), 1)
    .action(async (o: { runners: number }) => {
      const town = await ctx.town({ managedRedis: "start" });
      const started = o.runners > 0 ? await startRunners(town, o.runners) : [];
      ctx.emit(
        { town: town.name, redis: describeRedisUrl(town.redisUrl), runners: started },
        () =>
          `${paint("green", "✓")} town ${town.name} is up: Redis ${describeRedisUrl(town.redisUrl)}, ${started.length} runner(s)${started.length ? ` (pids ${started.join(", ")})` : ""}\n` +
          (started.length ? `  logs: ${join(town.dir ?? ".", ".tt", "logs")}\n` : ""),
      );
    });

  program
    .command("down")
    .description("take the town down: stop its runners (running tasks are requeued) and its managed Redis")
    .option("--keep-redis", "leave the managed Redis running")
    .action(async (o: { keepRedis?: boolean }) => {
      // Works without Redis: the runners are found by their pid file and the town dir on their command line.
      const found = findTown(ctx.townEnv());
      if (!found)
        throw new CoreError("NOT_A_TOWN", `${ctx.io.cwd} is not in a town: pass --town <dir>, or run it in the town`);
      const stopped = await stopRunners(found.dir, found.config, ctx);
      const external = Boolean(ctx.io.env.REDIS_URL ?? found.config.redis.url);
      const redis = !o.keepRedis && !external ? await stopTown(found.dir) : false;
      ctx.emit(
        { runnersStopped: stopped, redisStopped: redis, down: !o.keepRedis && !external },
        () =>
          `${paint("green", "✓")} stopped ${stopped.length} runner(s)${redis ? " and the managed Redis" : ""}` +
          (!o.keepRedis && !external ? `; town ${found.config.name} is down (tt up brings it back)\n` : "\n"),
      );
    });

  program
    .command("ui")
    .description("serve the dashboard for this town (foreground; Ctrl-C stops it) and print its URL")
    .option("-p, --port <port>", "port to listen on", port, 3000)
    .option("-H, --host <host>", "address to listen on (beyond loopback, sign-in is required)", host, "127.0.0.1")
    .action(async (o: { port: number; host: string }) => {
      const town = await ctx.town({ managedRedis: "start" });
      if (!town.dir) throw new CoreError("VALIDATION", "tt ui needs a town directory (tt init first)");
      const code = await serveDashboard(ctx, { townDir: town.dir, host: o.host, port: o.port });
      ctx.exitCode ??= code;
    });
}

function stateColourOf(k: string) {
  return (
    ({ failed: "red", error: "red", completed: "green", idle: "green", running: "cyan", working: "cyan" } as const)[
      k
    ] ?? "dim"
  );
}

const runnerPidFile = (dir: string) => join(dir, ".tt", "runners.json");

function readPids(dir: string): number[] {
  try {
    return (JSON.parse(readFileSync(runnerPidFile(dir), "utf8")) as number[]).filter((pid) => isRunnerOf(pid, dir));
  } catch {
    return [];
  }
}

/**
 * True when `pid` is a runner of the town in `dir`: `tt-runner` with `--town <dir>` on its command line. A pid
 * reused by another program, or by another town's runner, is never taken for one of ours.
 */
export function isRunnerOf(pid: number, dir: string): boolean {
  try {
    process.kill(pid, 0);
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const at = argv.indexOf("--town");
    return argv.some((a) => a.endsWith("tt-runner.mjs") || a === "tt-runner") && at > 0 && argv[at + 1] === dir;
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
  const dir = town.dir;
  const pids = readPids(dir);
  const logs = join(dir, ".tt", "logs");
  mkdirSync(logs, { recursive: true });
  const bin = runnerBin();
  if (!existsSync(bin)) throw new CoreError("INTERNAL", `the runner is not installed at ${bin}: run \`pnpm build\``);
  while (pids.length < n) {
    const fd = openSync(join(logs, "runner.log"), "a");
    const child = spawn(process.execPath, [bin, "--town", dir], {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: { ...process.env, TT_TOWN_DIR: dir },
    });
    closeSync(fd);
    child.unref();
    pids.push(child.pid!);
  }
  writeFileSync(runnerPidFile(dir), JSON.stringify(pids));
  // Wait until each new runner has registered, so `tt up && tt assign …` just works.
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const alive = (await listRunners(town)).filter((r) => r.alive && pids.includes(r.pid));
    if (alive.length >= pids.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return pids;
}

/**
 * Stops the town's runners on this machine (SIGTERM: they requeue their running tasks), saying what it waits for;
 * SIGKILL after the grace the town's config gives them. Returns their pids.
 */
export async function stopRunners(dir: string, config: TownConfig, ctx: Ctx): Promise<number[]> {
  const graceSec = config.runner.shutdownGraceSec + config.runner.killGraceSec + 10;
  const pids = readPids(dir);
  if (pids.length === 0) return [];
  for (const pid of pids) process.kill(pid, "SIGTERM");
  const say = (s: string) => !ctx.opts().json && ctx.io.err(s);
  say(
    ctx.paint(
      "dim",
      `stopping ${pids.length} runner(s) (pid ${pids.join(", ")}): running tasks are requeued; up to ${graceSec} s…\n`,
    ),
  );
  const started = Date.now();
  let shown = 0;
  while (pids.some((p) => isRunnerOf(p, dir)) && Date.now() - started < graceSec * 1000) {
    await new Promise((r) => setTimeout(r, 100));
    const secs = Math.floor((Date.now() - started) / 1000);
    if (secs >= shown + 2) {
      shown = secs;
      const left = pids.filter((p) => isRunnerOf(p, dir));
      say(ctx.paint("dim", `  ${secs} s: still waiting for ${left.length} runner(s) to finish or requeue\n`));
    }
  }
  for (const pid of pids.filter((p) => isRunnerOf(p, dir))) {
    say(ctx.paint("yellow", `  runner ${pid} did not stop within ${graceSec} s: killed\n`));
    process.kill(pid, "SIGKILL");
  }
  writeFileSync(runnerPidFile(dir), "[]");
  return pids;
}

export { MODEL_PRESETS, townIsDown };
