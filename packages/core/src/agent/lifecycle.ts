/**
 * The agent lifecycle: every state change of an agent after its spawn, each one `changeAgent` call (version-checked,
 * one event) — what people ask for (interrupt, resume, close, kill, restart) and what runners report around a run
 * (ready, working, finished, failed). The legal moves are AGENT_TRANSITIONS in agent.ts; `by` is always given.
 *
 * ```
 * starting ──ready──▶ idle ──working──▶ working ──finished──▶ idle (paused stays paused; draining → stopped)
 * starting/idle/working ──interrupt──▶ paused ──resume──▶ back;   close: draining (or stopped when nothing runs)
 * any ──kill──▶ stopped;   ──fail──▶ error;   stopped/error ──restart──▶ starting
 * ```
 */
import { cancelTask, listTasks, requeueTask, unassignTask } from "../task/task.service";
import type { Task } from "../task/task";
import type { Town } from "../town/town";
import { isCoreError, isLostRace } from "../errors";
import type { Agent } from "./agent";
import { changeAgent, findAgent, resolveAgent, type AgentChangeSpec } from "./agent.service";

/** Pause: the agent takes no new work. With `now`, the runner also stops the current run and requeues its task. */
export const interruptAgent = (town: Town, ref: string, by: string, opts: { now?: boolean } = {}) =>
  changeAgent(town, ref, {
    action: "interrupt",
    by,
    patch: () => ({ state: "paused" }),
    eventData: { now: opts.now ?? false },
  });

export const resumeAgent = (town: Town, ref: string, by: string) =>
  changeAgent(town, ref, {
    action: "resume",
    by,
    patch: (a) => ({ state: a.runner ? (a.currentTask ? "working" : "idle") : "starting" }),
  });

/** Stop now. The runner hosting it kills its process; its tasks are handled by the caller's choice. */
export const killAgent = (town: Town, ref: string, by: string) =>
  changeAgent(town, ref, { action: "kill", by, patch: () => ({ state: "stopped", currentTask: null }) });

export const restartAgent = (town: Town, ref: string, by: string) =>
  changeAgent(town, ref, {
    action: "restart",
    by,
    patch: () => ({ state: "starting", error: null, runner: null, currentTask: null }),
  });

/** The agent's model cannot run (e.g. its CLI is missing); the reason is stored. */
export const failAgent = (town: Town, ref: string, reason: string, by: string) =>
  changeAgent(town, ref, {
    action: "fail",
    by,
    patch: () => ({ state: "error", error: reason, currentTask: null }),
  });

export type KillTasks = "requeue" | "cancel";

/**
 * Gives back an agent's unfinished tasks: assigned ones go back to the backlog (`requeue`) or are cancelled;
 * with `includeRunning`, a running one is requeued then unassigned (or cancelled) too.
 */
export async function releaseAgentTasks(
  town: Town,
  agentId: string,
  opts: { tasks?: KillTasks; includeRunning?: boolean; reason: string; by: string },
): Promise<Task[]> {
  const { items } = await listTasks(town, { agent: agentId, limit: 1000 });
  const changed: Task[] = [];
  for (const t of items.filter((t) => t.state === "assigned" || (opts.includeRunning && t.state === "running"))) {
    if (opts.tasks === "cancel") changed.push(await cancelTask(town, { taskId: t.id, by: opts.by }));
    else {
      if (t.state === "running") await requeueTask(town, { taskId: t.id, reason: opts.reason, by: opts.by });
      changed.push(await unassignTask(town, { taskId: t.id, by: opts.by }));
    }
  }
  return changed;
}

/**
 * Stops an agent now. Its unfinished tasks (assigned or running) go back to the backlog (`requeue`, the
 * default) or are cancelled (`cancel`). A runner hosting the agent sees the change and kills the process.
 */
export async function stopAgent(
  town: Town,
  ref: string,
  opts: { tasks?: KillTasks; by: string },
): Promise<{ agent: Agent; tasks: Task[] }> {
  const { by } = opts;
  const target = await resolveAgent(town, ref);
  const agent = await killAgent(town, target.id, by);
  const tasks = await releaseAgentTasks(town, agent.id, {
    tasks: opts.tasks,
    includeRunning: true,
    reason: `agent ${agent.name} was killed`,
    by,
  });
  return { agent, tasks };
}

/**
 * Close: the agent finishes its current task, then stops (draining); with nothing running it stops at once.
 * Tasks still queued for it go back to the backlog when it stops (here, or in {@link finishAgentRun}).
 */
export async function closeAgent(town: Town, ref: string, by: string): Promise<Agent> {
  const agent = await changeAgent(town, ref, {
    action: "close",
    by,
    patch: (a) => ({ state: a.currentTask ? "draining" : "stopped" }),
  });
  if (agent.state === "stopped")
    await releaseAgentTasks(town, agent.id, { reason: `agent ${agent.name} was closed`, by });
  return agent;
}

/**
 * A runner picks up a `starting` agent: idle, hosted by `runner`. Null when there was nothing to do (the agent is not
 * `starting`) or another runner was first.
 */
export async function markAgentReady(
  town: Town,
  input: { agent: Agent; runner: string; by: string },
): Promise<Agent | null> {
  const { agent } = input;
  if (agent.state !== "starting") return null;
  try {
    return await changeAgent(town, agent.id, {
      action: "ready",
      by: input.by,
      expectedVersion: agent.version,
      patch: () => ({ state: "idle", runner: input.runner, error: null }),
    });
  } catch (err) {
    if (isLostRace(err)) return null;
    throw err;
  }
}

/**
 * The agent starts a run of `taskId`, hosted by `runner`. From `idle` it is `work`; `ready` also covers `starting`
 * and `working` left behind by a lost runner. Throws INVALID_STATE when the agent cannot take work now (paused,
 * closing, stopped), with its state in `details.state`.
 */
export async function markAgentWorking(
  town: Town,
  input: { agentId: string; taskId: string; runner: string; by: string },
): Promise<Agent> {
  for (let i = 0; ; i++) {
    const a = await resolveAgent(town, input.agentId);
    try {
      return await changeAgent(town, a.id, workingSpec(a, input));
    } catch (err) {
      // Changed between the read and the write: decide again from the new state.
      if (isCoreError(err, "CONFLICT") && i < 20) continue;
      throw err;
    }
  }
}

/** The change of {@link markAgentWorking} on the agent as read (`a`). */
export function workingSpec(a: Agent, input: { taskId: string; runner: string; by: string }): AgentChangeSpec {
  return {
    action: a.state === "idle" ? "work" : "ready",
    by: input.by,
    expectedVersion: a.version,
    patch: (_a, now) => ({ state: "working", currentTask: input.taskId, runner: input.runner, lastHeartbeat: now }),
  };
}

/** How a run ended, for the agent's counters. */
export type RunOutcome = "completed" | "failed" | "none";

/** Whether `a` is still on the run of `taskId` (so that its end is the agent's to finish). */
export const onRun = (a: Agent | null, taskId: string): a is Agent =>
  !!a && a.currentTask === taskId && ["working", "paused", "draining"].includes(a.state);

/** The change of {@link finishAgentRun} on the agent as read (`a`). */
export function finishSpec(a: Agent, input: { outcome: RunOutcome; by: string }): AgentChangeSpec {
  return {
    action: "finish",
    by: input.by,
    expectedVersion: a.version,
    patch: (cur) => ({
      state: cur.state === "draining" ? "stopped" : cur.state === "paused" ? "paused" : "idle",
      currentTask: null,
      tasksCompleted: cur.tasksCompleted + (input.outcome === "completed" ? 1 : 0),
      tasksFailed: cur.tasksFailed + (input.outcome === "failed" ? 1 : 0),
    }),
  };
}

/** After a finish: a draining agent that stopped gives back what was still queued for it. */
export async function afterAgentFinish(town: Town, prev: Agent, next: Agent, by: string): Promise<void> {
  if (prev.state === "draining" && next.state === "stopped")
    await releaseAgentTasks(town, prev.id, { reason: `agent ${prev.name} was closed`, by });
}

/**
 * The run of `taskId` ended: working → idle, paused stays paused, draining → stopped (and what was still queued for
 * it goes back to the backlog), with the counters. Does nothing when the agent has moved on (stopped, or another task).
 */
export async function finishAgentRun(
  town: Town,
  input: { agentId: string; taskId: string; outcome: RunOutcome; by: string },
): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const a = await findAgent(town, input.agentId);
    if (!onRun(a, input.taskId)) return;
    try {
      const next = await changeAgent(town, a.id, finishSpec(a, input));
      await afterAgentFinish(town, a, next, input.by);
      return;
    } catch (err) {
      if (isLostRace(err)) continue;
      throw err;
    }
  }
}
