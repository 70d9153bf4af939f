/**
 * The runner's graceful stop: take no new work, let running tasks finish within the grace period, then stop the rest
 * (their tasks are requeued by their runs' settle), stop following and reconciling, close the workers and the agent
 * API, and unregister.
 */
import type { RunnerContext } from "./context";
import type { EventFollower } from "./events";
import type { AgentHost } from "./hosting";
import type { Reconciler } from "./reconcile";
import { unregister } from "./registry";

export interface RunnerParts {
  host: AgentHost;
  reconciler: Reconciler;
  events: EventFollower;
  /** Stops the heartbeat and reconcile timers. */
  stopTimers: () => void;
}

export async function stopRunner(ctx: RunnerContext, parts: RunnerParts, graceMs: number): Promise<void> {
  ctx.stopping = true;
  ctx.log.info(`stopping: ${ctx.runs.size} task(s) running, up to ${graceMs} ms to finish`);
  await parts.host.pause();
  const runs = () => [...ctx.runs.values()];
  if (runs().length > 0) {
    await Promise.race([Promise.all(runs().map((r) => r.done)), new Promise((r) => setTimeout(r, graceMs))]);
    for (const r of runs()) r.abort({ kind: "shutdown" });
    await Promise.all(runs().map((r) => r.done));
  }
  // The heartbeat went on until here: running tasks were still this runner's.
  parts.stopTimers();
  await parts.events.stop();
  await parts.reconciler.idle();
  await parts.host.close();
  await ctx.agentApi.close();
  await unregister(ctx).catch(() => undefined);
  ctx.log.info("stopped");
}
