/**
 * Agent changes the runner makes around a run, each version-checked and re-read on a concurrent change.
 */
import { changeAgent, findAgent, isCoreError, releaseAgentTasks, type Agent } from "@tinytown/core";
import type { RunnerContext } from "./context";

/** Marks the agent working on `taskId`, hosted by this runner. Throws INVALID_STATE when it cannot take work. */
export async function markWorking(ctx: RunnerContext, agentId: string, taskId: string): Promise<Agent> {
  for (let i = 0; ; i++) {
    const a = await findAgent(ctx.town, agentId);
    if (!a) throw new Error(`agent ${agentId} is gone`);
    // idle → working is `work`; `ready` also covers starting, and working left behind by a lost runner.
    const action = a.state === "idle" ? "work" : "ready";
    try {
      return await changeAgent(ctx.town, agentId, {
        action,
        by: ctx.by,
        expectedVersion: a.version,
        patch: (_a, now) => ({ state: "working", currentTask: taskId, runner: ctx.id, lastHeartbeat: now }),
      });
    } catch (err) {
      if (isCoreError(err, "CONFLICT") && i < 20) continue;
      throw err;
    }
  }
}

export type RunOutcome = "completed" | "failed" | "none";

/**
 * The run of `taskId` ended: working → idle, paused stays paused, draining → stopped, with the counters.
 * Does nothing when the agent has moved on (stopped, or another task).
 */
export async function finishAgent(
  ctx: RunnerContext,
  agentId: string,
  taskId: string,
  outcome: RunOutcome,
): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const a = await findAgent(ctx.town, agentId);
    if (!a || a.currentTask !== taskId || !["working", "paused", "draining"].includes(a.state)) return;
    try {
      const next = await changeAgent(ctx.town, agentId, {
        action: "finish",
        by: ctx.by,
        expectedVersion: a.version,
        patch: (cur) => ({
          state: cur.state === "draining" ? "stopped" : cur.state === "paused" ? "paused" : "idle",
          currentTask: null,
          tasksCompleted: cur.tasksCompleted + (outcome === "completed" ? 1 : 0),
          tasksFailed: cur.tasksFailed + (outcome === "failed" ? 1 : 0),
        }),
      });
      // A drained agent has stopped: what was still queued for it goes back to the backlog.
      if (a.state === "draining" && next.state === "stopped") {
        await releaseAgentTasks(ctx.town, agentId, { reason: `agent ${a.name} was closed`, by: ctx.by });
      }
      return;
    } catch (err) {
      if (isCoreError(err, "CONFLICT") || isCoreError(err, "INVALID_STATE")) continue;
      throw err;
    }
  }
}

/** A `starting` agent is picked up: idle, hosted by this runner. Losing the race to another runner is fine. */
export async function markReady(ctx: RunnerContext, agent: Agent): Promise<void> {
  if (agent.state !== "starting") return;
  try {
    await changeAgent(ctx.town, agent.id, {
      action: "ready",
      by: ctx.by,
      expectedVersion: agent.version,
      patch: () => ({ state: "idle", runner: ctx.id, error: null }),
    });
    ctx.log.info(`agent ${agent.name} is ready (${agent.model})`);
  } catch (err) {
    if (!isCoreError(err, "CONFLICT") && !isCoreError(err, "INVALID_STATE")) throw err;
  }
}
