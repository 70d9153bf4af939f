/** State one runner shares between its parts (workers, processor, event follower, reconcile). */
import type { Town } from "@tinytown/core";
import type { AgentApi } from "./agent-api/server";
import type { Logger } from "./log";
import type { AgentProcess } from "./process/agent-process";

export interface RunnerSettings {
  /** Per-run timeout; town.config.runner.taskTimeoutSec unless overridden. */
  taskTimeoutMs: number;
  killGraceMs: number;
  shutdownGraceMs: number;
  maxAttempts: number;
  /** Runner and agent heartbeat period. */
  heartbeatMs: number;
  reconcileMs: number;
  /** How often assigned tasks are checked for a lost enqueue (their run job missing). */
  enqueueRepairMs: number;
  /** BullMQ job lock; a killed runner's job is handed to another runner this long after its last renewal. */
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** A runner without a heartbeat for this long is dead: its running tasks are requeued. */
  runnerDeadMs: number;
  logFileMaxBytes: number;
}

/** Why a run was stopped before its process ended by itself. */
export type AbortReason =
  | { kind: "interrupt"; message: string }
  | { kind: "shutdown" }
  | { kind: "timeout" }
  | { kind: "agent-stopped"; state: string }
  | { kind: "task-changed"; state: string }
  /** The run crossed its task's, agent's or town's budget (`reason`: "task budget $X reached after $Y"). */
  | { kind: "budget"; reason: string }
  /** The provider's rate limit: the task waits until `until` (epoch ms) without counting the attempt. */
  | { kind: "rate-limit"; until: number; message: string };

/** One task being run by this runner: registered before startTask so reconcile never mistakes it for lost. */
export class ActiveRun {
  /** Task version after startTask; later changes must carry it. */
  version = 0;
  /** The task's attempt number of this run (its `attempts` after the start). */
  attempt = 0;
  proc: AgentProcess | null = null;
  /** The run's agent API token, revoked when the run ends. */
  credential: string | null = null;
  abortReason: AbortReason | null = null;
  /** Messages already put in this run's prompt: an urgent one among them does not interrupt it again. */
  promptMessageIds = new Set<string>();
  private readonly ended: Promise<void>;
  private resolveEnded!: () => void;

  constructor(
    readonly taskId: string,
    readonly agentId: string,
    private readonly killGraceMs: number,
  ) {
    this.ended = new Promise((r) => (this.resolveEnded = r));
  }

  /** Stops the run (kills its process tree); the processor then settles the task by the reason. First reason wins. */
  abort(reason: AbortReason): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    void this.proc?.terminate(this.killGraceMs);
  }

  get done(): Promise<void> {
    return this.ended;
  }

  end(): void {
    this.resolveEnded();
  }
}

export interface RunnerContext {
  town: Town;
  id: string;
  /** The actor name on events and changes: `runner:<id>`. */
  by: string;
  host: string;
  settings: RunnerSettings;
  log: Logger;
  /** Serves the agent processes' per-run credentials (instead of handing them a Redis URL). */
  agentApi: AgentApi;
  runs: Map<string, ActiveRun>;
  runsByAgent: Map<string, ActiveRun>;
  stopping: boolean;
}
