/**
 * A runner: serves every agent of a town that is not stopped or in error, and runs their tasks. Its parts, one job
 * each: registry.ts (registered and heartbeating), hosting.ts (one BullMQ worker per served agent), events.ts (the
 * town's event stream), reconcile.ts (the periodic repair pass), processors/run-task.ts (one run, stage by stage) and
 * stop.ts (the graceful stop). This module builds the shared context and starts the parts in order.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { lastEventId, RUNNER_ALIVE_MS, runnerActor, type Town } from "@tinytown/core";
import { AgentApi } from "./agent-api/server";
import type { ActiveRun, RunnerContext, RunnerSettings } from "./context";
import { followTown } from "./events";
import { AgentHost } from "./hosting";
import { createLogger, type Logger, type LogLevel } from "./log";
import { stateDir } from "./process/launch";
import { LOG_FILE_MAX_BYTES } from "./process/task-output";
import { Reconciler } from "./reconcile";
import { heartbeat, register } from "./registry";
import { stopRunner } from "./stop";
import { serveWorkspaceQueue, type WorkspaceWorker } from "./workspace/workspace-jobs";
import { startWebhooks } from "./webhooks";

export interface RunnerOptions extends Partial<RunnerSettings> {
  /** Default: `<host>-<pid>-<random>`. */
  id?: string;
  log?: Logger;
  /** Level of the default logger (ignored with `log`). */
  logLevel?: LogLevel;
}

export interface RunnerHandle {
  id: string;
  /**
   * Stops taking work, lets running tasks finish for up to `graceMs` (town.config.runner.shutdownGraceSec by
   * default), then stops the rest and requeues their tasks, and unregisters. Idempotent.
   */
  stop(graceMs?: number): Promise<void>;
  /** Task ids this runner is running now. */
  running(): string[];
}

export async function startRunner(town: Town, opts: RunnerOptions = {}): Promise<RunnerHandle> {
  const ctx = runnerContext(town, opts);
  const host = new AgentHost(ctx);
  const reconciler = new Reconciler(ctx, host);
  let cursor: string;
  let workspace: WorkspaceWorker;
  try {
    await ctx.agentApi.listen();
    await register(ctx);
    // Take the cursor before the first reconcile, so no change between the two is missed.
    cursor = await lastEventId(town);
    await reconciler.run();
    workspace = await serveWorkspaceQueue(ctx);
  } catch (err) {
    await host.close();
    await ctx.agentApi.close();
    throw err;
  }
  const events = followTown(ctx, host, cursor);
  const webhooks = startWebhooks(ctx);
  // The heartbeat goes on while stopping (running tasks still finish); reconcile returns early then.
  const timers = [
    every(ctx, ctx.settings.heartbeatMs, () => heartbeat(ctx)),
    every(ctx, ctx.settings.reconcileMs, () => reconciler.run()),
  ];
  ctx.log.info(`serving town ${town.name}: ${host.size} agent(s)`);
  const stopTimers = () => timers.forEach(clearInterval);
  let stopped: Promise<void> | null = null;
  return {
    id: ctx.id,
    stop: (graceMs = ctx.settings.shutdownGraceMs) =>
      (stopped ??= (async () => {
        await webhooks?.stop();
        await stopRunner(ctx, { host, reconciler, events, stopTimers }, graceMs);
      })().finally(() => workspace.close())),
    running: () => [...ctx.runs.keys()],
  };
}

function runnerContext(town: Town, opts: RunnerOptions): RunnerContext {
  const id = opts.id ?? `${hostname().split(".")[0]}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const cfg = town.config.runner;
  const settings: RunnerSettings = {
    taskTimeoutMs: opts.taskTimeoutMs ?? cfg.taskTimeoutSec * 1000,
    killGraceMs: opts.killGraceMs ?? cfg.killGraceSec * 1000,
    shutdownGraceMs: opts.shutdownGraceMs ?? cfg.shutdownGraceSec * 1000,
    maxAttempts: opts.maxAttempts ?? cfg.maxAttempts,
    heartbeatMs: opts.heartbeatMs ?? 2_000,
    reconcileMs: opts.reconcileMs ?? 3_000,
    enqueueRepairMs: opts.enqueueRepairMs ?? 10_000,
    lockDurationMs: opts.lockDurationMs ?? 5_000,
    stalledIntervalMs: opts.stalledIntervalMs ?? 2_000,
    runnerDeadMs: opts.runnerDeadMs ?? RUNNER_ALIVE_MS,
    logFileMaxBytes: opts.logFileMaxBytes ?? LOG_FILE_MAX_BYTES,
  };
  const log = opts.log ?? createLogger(opts.logLevel ?? "info", `[runner ${id}]`);
  return {
    town,
    id,
    by: runnerActor(id),
    host: hostname(),
    settings,
    log,
    agentApi: new AgentApi(town, stateDir(town), log),
    runs: new Map<string, ActiveRun>(),
    runsByAgent: new Map<string, ActiveRun>(),
    stopping: false,
  };
}

function every(ctx: RunnerContext, ms: number, fn: () => Promise<unknown>): NodeJS.Timeout {
  return setInterval(() => void fn().catch((err) => ctx.log.warn(String(err))), ms);
}
