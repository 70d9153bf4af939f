/**
 * The runner's repair pass, every few seconds (and once at start): serve exactly the agents that are not stopped or
 * in error, enqueue assigned tasks whose run job was lost, give back tasks left running by a lost runner (requeued,
 * or failed past the attempt budget), and finish agents such a runner left working. Passes never overlap.
 */
import {
  enqueueMissingRuns,
  findTask,
  finishAgentRun,
  listAgents,
  listTasks,
  runnerHeartbeats,
  type Task,
  type Town,
} from "@tinytown/core";
import type { RunnerContext } from "./context";
import { isServed, type AgentHost } from "./hosting";
import { recoverLostRun } from "./recover";

export class Reconciler {
  private pass: Promise<void> | null = null;
  /** When assigned tasks were last checked for a lost enqueue (0: at the first pass). */
  private lastEnqueueRepair = 0;

  constructor(
    private readonly ctx: RunnerContext,
    private readonly host: AgentHost,
  ) {}

  /** Runs a pass, or joins the one in progress. Does nothing once the runner is stopping. */
  run(): Promise<void> {
    this.pass ??= this.reconcile().finally(() => (this.pass = null));
    return this.pass;
  }

  /** Resolves when no pass is in progress (a failed pass included). */
  async idle(): Promise<void> {
    await this.pass?.catch(() => undefined);
  }

  private async reconcile(): Promise<void> {
    const { ctx, host } = this;
    if (ctx.stopping) return;
    const agents = await listAgents(ctx.town);
    const live = new Set(agents.filter((a) => isServed(a.state)).map((a) => a.id));
    for (const a of agents) if (live.has(a.id)) await host.serve(a);
    for (const id of host.servedIds()) if (!live.has(id)) await host.unserve(id);

    // A crash between an assignment and its queue.add loses the job: checked less often than the rest (bench B5).
    const now = Date.now();
    if (now - this.lastEnqueueRepair >= ctx.settings.enqueueRepairMs) {
      this.lastEnqueueRepair = now;
      await enqueueMissingRuns(ctx.town, live);
    }

    const seen = await runnerHeartbeats(ctx.town);
    const isDead = (runner: string | null) =>
      !runner || Date.now() - (seen.get(runner) ?? 0) > ctx.settings.runnerDeadMs;
    const running = await allRunning(ctx.town);
    for (const t of running) {
      if (t.runner === ctx.id) {
        // Ours but not in our table (a run that died with an unexpected error): give it back.
        if (!ctx.runs.has(t.id) && Date.now() - (t.startedAt ?? Date.now()) > ctx.settings.heartbeatMs * 2)
          await recoverLostRun(ctx, t, ctx.id);
      } else if (t.runner && isDead(t.runner)) {
        await recoverLostRun(ctx, t, t.runner);
      }
    }
    // Agents left `working` by a dead runner once their task is settled.
    const runningIds = new Set(running.map((t) => t.id));
    for (const a of agents) {
      if (a.state !== "working" || !a.currentTask || runningIds.has(a.currentTask) || ctx.runsByAgent.has(a.id))
        continue;
      if (!isDead(a.runner)) continue;
      const task = await findTask(ctx.town, a.currentTask);
      const outcome = task?.state === "completed" ? "completed" : task?.state === "failed" ? "failed" : "none";
      await finishAgentRun(ctx.town, { agentId: a.id, taskId: a.currentTask, outcome, by: ctx.by });
    }
  }
}

/** Every running task (paged; a town rarely has more than a few thousand). */
async function allRunning(town: Town): Promise<Task[]> {
  const out: Task[] = [];
  for (let offset = 0; offset < 100_000; offset += 1000) {
    const page = await listTasks(town, { state: "running", offset, limit: 1000 });
    out.push(...page.items);
    if (page.items.length < 1000) break;
  }
  return out;
}
