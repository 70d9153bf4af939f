/**
 * A runner: serves every agent of a town that is not stopped or in error, with one BullMQ worker per agent
 * queue (concurrency 1, and the queue's global concurrency 1, so an agent runs at most one task across all
 * runners). It follows the town's event stream to pick up agents and react to changes, and reconciles every
 * few seconds: assigned tasks without a job get one, and tasks left running by a dead runner are requeued or,
 * past the attempt budget, failed.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import {
  agentQueue,
  agentQueueName,
  createRedis,
  commandOnPath,
  enqueueRun,
  runJobId,
  findAgent,
  followEvents,
  lastEventId,
  listAgents,
  listTasks,
  modelNames,
  resolveModel,
  RUNNER_ALIVE_MS,
  findTask,
  heartbeatRunner,
  registerRunner,
  runnerActor,
  runnerHeartbeats,
  unregisterRunner,
  type Agent,
  type RunJobData,
  type Task,
  type Town,
  type TownEvent,
} from "@tinytown/core";
import { AgentApi } from "./agent-api/server";
import { finishAgent, markReady } from "./agent-state";
import type { ActiveRun, RunnerContext, RunnerSettings } from "./context";
import { createLogger, type Logger, type LogLevel } from "./log";
import { handlePendingControl, onMessageSent } from "./messages";
import { runTaskJob } from "./processors/run-task";
import { stateDir } from "./process/launch";
import { LOG_FILE_MAX_BYTES } from "./process/task-output";
import { recoverLostRun } from "./recover";

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

interface Served {
  worker: Worker<RunJobData, string>;
}

const SERVED_STATES = new Set(["starting", "idle", "working", "paused", "draining"]);

export async function startRunner(town: Town, opts: RunnerOptions = {}): Promise<RunnerHandle> {
  const runner = new Runner(town, opts);
  await runner.start().catch(async (err: unknown) => {
    await runner.ctx.agentApi.close();
    throw err;
  });
  return { id: runner.ctx.id, stop: (graceMs) => runner.stop(graceMs), running: () => [...runner.ctx.runs.keys()] };
}

class Runner {
  readonly ctx: RunnerContext;
  private readonly served = new Map<string, Served>();
  /** Agents being (un)served: serialises serve/unserve per agent. */
  private readonly transitions = new Map<string, Promise<void>>();
  /** One blocking connection shared by this runner's BullMQ workers (BullMQ duplicates it for its blocking reads). */
  private readonly bull: Redis;
  private readonly events: Redis;
  private readonly abort = new AbortController();
  private timers: NodeJS.Timeout[] = [];
  private following: Promise<void> | null = null;
  private reconciling: Promise<void> | null = null;
  private stopped: Promise<void> | null = null;
  /** When assigned tasks were last checked for a lost enqueue (0: at the first reconcile). */
  private lastEnqueueRepair = 0;

  constructor(
    readonly town: Town,
    opts: RunnerOptions,
  ) {
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
    this.ctx = {
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
    this.bull = createRedis(town.redisUrl, { blocking: true, connectionName: `tt:${town.name}:runner:${id}:bull` });
    this.events = createRedis(town.redisUrl, { blocking: true, connectionName: `tt:${town.name}:runner:${id}:events` });
    this.bull.on("error", (err) => this.ctx.log.debug(`redis (workers): ${String(err)}`));
    this.events.on("error", (err) => this.ctx.log.debug(`redis (events): ${String(err)}`));
  }

  private get log() {
    return this.ctx.log;
  }

  async start(): Promise<void> {
    await this.ctx.agentApi.listen();
    await this.register();
    // Take the cursor before the first reconcile, so no change between the two is missed.
    const cursor = await lastEventId(this.town);
    await this.reconcile();
    this.following = this.follow(cursor);
    this.every(this.ctx.settings.heartbeatMs, () => this.beat());
    this.every(this.ctx.settings.reconcileMs, () => {
      this.reconciling ??= this.reconcile().finally(() => (this.reconciling = null));
      return this.reconciling;
    });
    this.log.info(`serving town ${this.town.name}: ${this.served.size} agent(s)`);
  }

  private every(ms: number, fn: () => Promise<unknown>): void {
    // The heartbeat goes on while stopping (running tasks still finish); reconcile returns early then.
    const t = setInterval(() => void fn().catch((err) => this.log.warn(String(err))), ms);
    this.timers.push(t);
  }

  private async register(): Promise<void> {
    await registerRunner(this.town, {
      id: this.ctx.id,
      host: this.ctx.host,
      pid: process.pid,
      models: runnableModels(this.town),
    });
  }

  private async beat(): Promise<void> {
    await heartbeatRunner(this.town, this.ctx.id);
  }

  // ── serving agents ────────────────────────────────────────────────────────────────────────────────────

  /** Serialises serve/unserve of one agent. */
  private chain(agentId: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.transitions.get(agentId) ?? Promise.resolve();
    const next = prev.then(fn).catch((err) => this.log.warn(`agent ${agentId.slice(0, 8)}: ${String(err)}`));
    this.transitions.set(agentId, next);
    void next.finally(() => {
      if (this.transitions.get(agentId) === next) this.transitions.delete(agentId);
    });
    return next;
  }

  private serve(agent: Agent): Promise<void> {
    return this.chain(agent.id, async () => {
      if (this.ctx.stopping) return;
      if (!this.served.has(agent.id)) {
        const queue = agentQueue(this.town, agent.id);
        await queue.setGlobalConcurrency(1);
        const s = this.ctx.settings;
        const worker = new Worker<RunJobData, string>(agentQueueName(agent.id), (job) => runTaskJob(this.ctx, job), {
          connection: this.bull,
          prefix: this.town.keys.bullPrefix,
          name: this.ctx.id,
          concurrency: 1,
          lockDuration: s.lockDurationMs,
          stalledInterval: s.stalledIntervalMs,
          // Jobs are hints: a job that keeps stalling is dropped and reconcile enqueues the task again.
          maxStalledCount: 5,
          drainDelay: 5,
          skipVersionCheck: true,
        });
        worker.on("error", (err) => this.log.warn(`worker ${agent.name}: ${String(err)}`));
        worker.on("failed", (job, err) =>
          this.log.warn(`job ${job?.id ?? "?"} on ${agent.name} failed: ${String(err)}`),
        );
        this.served.set(agent.id, { worker });
        this.log.debug(`serving agent ${agent.name}`);
        await handlePendingControl(this.ctx, agent.id);
      }
      await this.syncPause(agent);
      await markReady(this.ctx, agent);
    });
  }

  private unserve(agentId: string): Promise<void> {
    return this.chain(agentId, async () => {
      const s = this.served.get(agentId);
      if (!s) return;
      this.served.delete(agentId);
      this.ctx.runsByAgent.get(agentId)?.abort({ kind: "agent-stopped", state: "stopped" });
      await s.worker.close();
      this.log.debug(`stopped serving agent ${agentId.slice(0, 8)}`);
    });
  }

  /** The agent's queue is paused exactly while the agent is paused (BullMQ pause is shared by all runners). */
  private async syncPause(agent: Agent): Promise<void> {
    const q = agentQueue(this.town, agent.id);
    const paused = await q.isPaused();
    if (agent.state === "paused" && !paused) await q.pause();
    else if (agent.state !== "paused" && paused) await q.resume();
  }

  // ── events ────────────────────────────────────────────────────────────────────────────────────────────

  private async follow(after: string): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        for await (const ev of followEvents(this.town, {
          after,
          signal: this.abort.signal,
          connection: this.events,
          blockMs: 2_000,
        })) {
          after = ev.id;
          try {
            await this.onEvent(ev);
          } catch (err) {
            this.log.warn(`event ${ev.type}: ${String(err)}`);
          }
        }
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.log.warn(`event stream: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async onEvent(ev: TownEvent): Promise<void> {
    const agentId = typeof ev.agentId === "string" ? ev.agentId : null;
    const taskId = typeof ev.taskId === "string" ? ev.taskId : null;
    switch (ev.type) {
      case "agent.spawned":
      case "agent.state": {
        if (!agentId) return;
        const agent = await findAgent(this.town, agentId);
        if (!agent) return this.unserve(agentId);
        if (SERVED_STATES.has(agent.state)) await this.serve(agent);
        else await this.unserve(agentId);
        return;
      }
      case "agent.removed":
        if (agentId) await this.unserve(agentId);
        return;
      case "task.cancelled":
      case "task.requeued":
      case "task.unassigned":
      case "task.assigned": {
        // Someone else changed a task this runner is running: stop the process.
        const run = taskId ? this.ctx.runs.get(taskId) : undefined;
        if (run && ev.by !== this.ctx.by && run.version !== 0 && ev.version !== run.version)
          run.abort({ kind: "task-changed", state: String(ev.to ?? "") });
        return;
      }
      case "message.sent":
        if (agentId && this.served.has(agentId)) await onMessageSent(this.ctx, ev);
        return;
      default:
        return;
    }
  }

  // ── reconcile ─────────────────────────────────────────────────────────────────────────────────────────

  private async reconcile(): Promise<void> {
    if (this.ctx.stopping) return;
    const agents = await listAgents(this.town);
    const live = new Set<string>();
    for (const a of agents) {
      if (SERVED_STATES.has(a.state)) {
        live.add(a.id);
        await this.serve(a);
      }
    }
    for (const id of [...this.served.keys()]) if (!live.has(id)) await this.unserve(id);

    // Repair lost enqueues (a crash between an assignment and its queue.add): enqueue only assigned tasks whose run
    // job is missing from their agent's queue. Re-adding every assigned task on every pass cost more CPU than
    // running the tasks (bench B5), so the pass is less frequent and compares job ids first.
    const now0 = Date.now();
    if (now0 - this.lastEnqueueRepair >= this.ctx.settings.enqueueRepairMs) {
      this.lastEnqueueRepair = now0;
      const queued = new Map<string, Set<string>>();
      for (const t of await allTasks(this.town, "assigned")) {
        if (!t.assignedTo || !live.has(t.assignedTo)) continue;
        let ids = queued.get(t.assignedTo);
        if (!ids) {
          ids = new Set(
            await agentQueue(this.town, t.assignedTo).getRanges(["wait", "prioritized", "delayed", "active"], 0, -1),
          );
          queued.set(t.assignedTo, ids);
        }
        if (!ids.has(runJobId(t.id, t.version))) await enqueueRun(this.town, t);
      }
    }

    const alive = await runnerHeartbeats(this.town);
    const now = Date.now();
    const isDead = (runner: string | null) =>
      !runner || now - (alive.get(runner) ?? 0) > this.ctx.settings.runnerDeadMs;
    const running = await allTasks(this.town, "running");
    for (const t of running) {
      const holder = t.runner;
      if (holder === this.ctx.id) {
        // Ours but not in our table (a run that died with an unexpected error): give it back.
        if (!this.ctx.runs.has(t.id) && now - (t.startedAt ?? now) > this.ctx.settings.heartbeatMs * 2)
          await recoverLostRun(this.ctx, t, this.ctx.id);
      } else if (holder && isDead(holder)) {
        await recoverLostRun(this.ctx, t, holder);
      }
    }
    // Agents left `working` by a dead runner once their task is settled.
    const runningIds = new Set(running.map((t) => t.id));
    for (const a of agents) {
      if (a.state !== "working" || !a.currentTask || runningIds.has(a.currentTask) || this.ctx.runsByAgent.has(a.id))
        continue;
      if (!isDead(a.runner)) continue;
      const task = await findTask(this.town, a.currentTask);
      const outcome = task?.state === "completed" ? "completed" : task?.state === "failed" ? "failed" : "none";
      await finishAgent(this.ctx, a.id, a.currentTask, outcome);
    }
  }

  // ── stop ──────────────────────────────────────────────────────────────────────────────────────────────

  stop(graceMs = this.ctx.settings.shutdownGraceMs): Promise<void> {
    this.stopped ??= this.shutdown(graceMs);
    return this.stopped;
  }

  private async shutdown(graceMs: number): Promise<void> {
    const { ctx } = this;
    ctx.stopping = true;
    this.log.info(`stopping: ${ctx.runs.size} task(s) running, up to ${graceMs} ms to finish`);
    // 1. Take no new work (active jobs go on).
    await Promise.all([...this.served.values()].map((s) => s.worker.pause(true).catch(() => undefined)));
    // 2. Let running tasks finish within the grace period, 3. then stop them: their tasks are requeued.
    const runs = () => [...ctx.runs.values()];
    if (runs().length > 0) {
      await Promise.race([Promise.all(runs().map((r) => r.done)), new Promise((r) => setTimeout(r, graceMs))]);
      for (const r of runs()) r.abort({ kind: "shutdown" });
      await Promise.all(runs().map((r) => r.done));
    }
    // 4. Stop following (cut the blocking read short), reconciling; close the workers.
    this.abort.abort();
    this.events.disconnect();
    for (const t of this.timers) clearInterval(t);
    await this.reconciling?.catch(() => undefined);
    await Promise.all([...this.transitions.values()]);
    await Promise.all([...this.served.values()].map((s) => s.worker.close().catch(() => undefined)));
    this.served.clear();
    await this.following?.catch(() => undefined);
    await ctx.agentApi.close();
    // 5. Unregister.
    await unregisterRunner(this.town, ctx.id).catch(() => undefined);
    await this.bull.quit().catch(() => this.bull.disconnect());
    this.log.info("stopped");
  }
}

/** Every task in a state (paged; a town rarely has more than a few thousand assigned or running). */
async function allTasks(town: Town, state: "assigned" | "running"): Promise<Task[]> {
  const out: Task[] = [];
  for (let offset = 0; offset < 100_000; offset += 1000) {
    const page = await listTasks(town, { state, offset, limit: 1000 });
    out.push(...page.items);
    if (page.items.length < 1000) break;
  }
  return out;
}

/** Models this runner can launch: the simulated one, the town's custom models and presets whose command is on PATH. */
function runnableModels(town: Town): string[] {
  return modelNames(town.config.models).filter((name) => {
    const m = resolveModel(town.config.models, name);
    return m.kind !== "preset" || commandOnPath(m.command);
  });
}
