/**
 * The agents this runner serves: one BullMQ worker per agent queue (core dispatch `openRunWorker`: concurrency 1 and a
 * global concurrency of 1, so an agent runs one task at a time across all runners), its queue paused while the agent
 * is, and a `starting` agent marked ready. Serving and unserving one agent never overlap.
 */
import type { Worker } from "bullmq";
import type { Redis } from "ioredis";
import {
  createRedis,
  markAgentReady,
  openRunWorker,
  syncQueuePause,
  type Agent,
  type AgentState,
  type RunJobData,
} from "@tinytown/core";
import type { RunnerContext } from "./context";
import { handlePendingControl } from "./messages";
import { runTaskJob } from "./processors/run-task";

const SERVED_STATES: ReadonlySet<AgentState> = new Set(["starting", "idle", "working", "paused", "draining"]);

/** Whether a runner serves an agent in `state` (everything but stopped and error). */
export const isServed = (state: AgentState) => SERVED_STATES.has(state);

export class AgentHost {
  private readonly workers = new Map<string, Worker<RunJobData, string>>();
  /** Serve/unserve of each agent in flight: serialised per agent. */
  private readonly transitions = new Map<string, Promise<void>>();
  /** One blocking connection shared by the workers (BullMQ duplicates it for its blocking reads). */
  private readonly bull: Redis;

  constructor(private readonly ctx: RunnerContext) {
    const { town } = ctx;
    this.bull = createRedis(town.redisUrl, { blocking: true, connectionName: `tt:${town.name}:runner:${ctx.id}:bull` });
    this.bull.on("error", (err) => ctx.log.debug(`redis (workers): ${String(err)}`));
  }

  get size(): number {
    return this.workers.size;
  }

  serves(agentId: string): boolean {
    return this.workers.has(agentId);
  }

  servedIds(): string[] {
    return [...this.workers.keys()];
  }

  /** Serves or stops serving the agent by its current state (null: it is gone). */
  follow(agentId: string, agent: Agent | null): Promise<void> {
    return agent && isServed(agent.state) ? this.serve(agent) : this.unserve(agentId);
  }

  /** Opens the agent's worker (once), handles control messages left for it, syncs its queue's pause, marks it ready. */
  serve(agent: Agent): Promise<void> {
    const { ctx } = this;
    return this.chain(agent.id, async () => {
      if (ctx.stopping) return;
      if (!this.workers.has(agent.id)) {
        const s = ctx.settings;
        const worker = await openRunWorker(ctx.town, agent.id, (job) => runTaskJob(ctx, job), {
          connection: this.bull,
          runnerId: ctx.id,
          lockDurationMs: s.lockDurationMs,
          stalledIntervalMs: s.stalledIntervalMs,
        });
        worker.on("error", (err) => ctx.log.warn(`worker ${agent.name}: ${String(err)}`));
        worker.on("failed", (job, err) =>
          ctx.log.warn(`job ${job?.id ?? "?"} on ${agent.name} failed: ${String(err)}`),
        );
        this.workers.set(agent.id, worker);
        ctx.log.debug(`serving agent ${agent.name}`);
        await handlePendingControl(ctx, agent.id);
      }
      await syncQueuePause(ctx.town, agent);
      if (await markAgentReady(ctx.town, { agent, runner: ctx.id, by: ctx.by }))
        ctx.log.info(`agent ${agent.name} is ready (${agent.model})`);
    });
  }

  /** Stops serving the agent: its run (if any) is stopped, its worker closed. */
  unserve(agentId: string): Promise<void> {
    const { ctx } = this;
    return this.chain(agentId, async () => {
      const worker = this.workers.get(agentId);
      if (!worker) return;
      this.workers.delete(agentId);
      ctx.runsByAgent.get(agentId)?.abort({ kind: "agent-stopped", state: "stopped" });
      await worker.close();
      ctx.log.debug(`stopped serving agent ${agentId.slice(0, 8)}`);
    });
  }

  /** Takes no new work; the jobs running go on. */
  async pause(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.pause(true).catch(() => undefined)));
  }

  /** Waits for serve/unserve in flight, closes every worker and the shared connection. */
  async close(): Promise<void> {
    await Promise.all([...this.transitions.values()]);
    await Promise.all([...this.workers.values()].map((w) => w.close().catch(() => undefined)));
    this.workers.clear();
    await this.bull.quit().catch(() => this.bull.disconnect());
  }

  private chain(agentId: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.transitions.get(agentId) ?? Promise.resolve();
    const next = prev.then(fn).catch((err) => this.ctx.log.warn(`agent ${agentId.slice(0, 8)}: ${String(err)}`));
    this.transitions.set(agentId, next);
    void next.finally(() => {
      if (this.transitions.get(agentId) === next) this.transitions.delete(agentId);
    });
    return next;
  }
}
