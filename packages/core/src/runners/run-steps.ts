/**
 * A run's two state changes, each ONE write script: {@link beginRun} moves the task to running and its agent to
 * working; {@link finishRun} moves the task to completed or failed and its agent back (idle, paused, or stopped when
 * draining). Each reads the task and the agent in one round trip, decides with the same rules as the separate
 * transitions (startTask + markAgentWorking, completeTask/failTask + finishAgentRun), and applies both changes,
 * both events and the task's history in one `applyPlan` that checks both versions. A concurrent change makes the
 * script refuse; the step re-reads and decides again, so the guarantees of the separate transitions hold.
 */
import { agentFromHash, planAgentChange } from "../agent/agent.service";
import type { Agent } from "../agent/agent";
import { afterAgentFinish, finishSpec, onRun, workingSpec, type RunOutcome } from "../agent/lifecycle";
import type { SettleMode } from "../channel/inflight";
import { CoreError } from "../errors";
import { applyPlan, type WritePlan } from "../redis/atomic";
import { mergePlans } from "../redis/entity";
import { CompleteTaskInput, FailTaskInput, type Task, type TaskState } from "../task/task";
import {
  afterTaskChange,
  completeSpec,
  failSpec,
  findTask,
  parse,
  planTaskChange,
  reportRunEnd,
  startSpec,
  taskFromHash,
  type ChangeSpec,
} from "../task/task.service";
import type { Town } from "../town/town";

/** How {@link beginRun} went. */
export type BeginRun =
  /** The task is running on this runner (an attempt counted) and its agent is working on it. */
  | { kind: "started"; task: Task; agent: Agent }
  /** Not this runner's to start (the agent cannot take work, the task moved on): nothing changed. */
  | { kind: "skip"; reason: string }
  /** The task is already running (its job came back): the caller decides whether to take it over. */
  | { kind: "running"; task: Task };

/** Agent states in which a run may start. */
const CAN_START = ["idle", "starting", "working"];

/**
 * Starts a run of `taskId` on `agentId` hosted by `runner`: task assigned → running (an attempt counts) and agent →
 * working, with the `task.started` and `agent.state` events and the task's history, in one script.
 */
export async function beginRun(
  town: Town,
  input: { taskId: string; agentId: string; runner: string; by: string },
): Promise<BeginRun> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { task, agent } = await readRun(town, input);
    if (!agent) return skip("agent gone");
    if (!CAN_START.includes(agent.state)) return skip(`agent is ${agent.state}`);
    if (!task || task.assignedTo !== input.agentId) return skip("task is not this agent's");
    if (task.state === "running") return { kind: "running", task };
    if (task.state !== "assigned") return skip(`task is ${task.state}`);
    if (task.waitingFor) return skip("waiting for a human's answer");
    if (agent.state === "working" && agent.currentTask && agent.currentTask !== task.id) {
      // Left working by a lost runner whose run is not recovered yet: reconcile or the stalled job will.
      if ((await findTask(town, agent.currentTask))?.state === "running") return skip("agent busy");
    }
    const spec = startSpec(input);
    const step = await planTaskChange(town, task, spec);
    if ("same" in step) return skip(`task is ${step.same.state}`);
    const working = planAgentChange(town, agent, workingSpec(agent, input));
    const res = await applyPlan(town.redis, mergePlans(step.plan, asFollowing(working.plan)));
    if (res.ok) {
      await afterTaskChange(town, task, step.next, spec);
      return { kind: "started", task: step.next, agent: working.next };
    }
    await backoff(attempt);
  }
  throw new CoreError("CONFLICT", `task ${input.taskId} is changing too fast to start; try again`);
}

/** How a run ended, as the runner saw it. */
export type RunResult = { kind: "complete"; result: string } | { kind: "fail"; error: string; messages?: SettleMode };

export interface FinishRunInput {
  taskId: string;
  agentId: string;
  /** The task's version when the run started: a task changed since (by the agent, a person) keeps that change. */
  expectedVersion: number;
  result: RunResult;
  by: string;
}

/** What {@link finishRun} did: `ended` when the run's result was applied; otherwise the task's change stands. */
export interface FinishedRun {
  ended: boolean;
  /** The task as it is now (null: removed). */
  task: Task | null;
  /** Counted on the agent: the run's result, or the task's current state when someone else's change stands. */
  outcome: RunOutcome;
}

/**
 * Ends a run: task running → completed/failed (version-checked against the run's start) and the agent's run
 * finished with its counters, in one script; then the run's prompt messages are settled and the supervisor gets
 * its `task_done` / `task_failed` report. When the task changed since the start, that change stands and the agent's
 * run is finished with the task's current outcome.
 */
export async function finishRun(town: Town, input: FinishRunInput): Promise<FinishedRun> {
  const spec = resultSpec(input);
  for (let attempt = 0; attempt < 50; attempt++) {
    const { task, agent } = await readRun(town, input);
    const ours = task?.state === "running" && task.version === input.expectedVersion;
    const step = ours ? await planTaskChange(town, task, spec) : null;
    const next = step && "next" in step ? step.next : null;
    const outcome: RunOutcome = next ? outcomeOf(next.state) : outcomeOf(task?.state);
    const finish = onRun(agent, input.taskId)
      ? planAgentChange(town, agent, finishSpec(agent, { ...input, outcome }))
      : null;
    if (!next && !finish) return { ended: false, task, outcome };
    const plans: WritePlan[] = [];
    if (next && step && "plan" in step) plans.push(step.plan);
    if (finish) plans.push(next ? asFollowing(finish.plan) : finish.plan);
    const res = await applyPlan(town.redis, mergePlans(...plans));
    if (!res.ok) {
      await backoff(attempt);
      continue;
    }
    await Promise.all([
      next && task ? afterTaskChange(town, task, next, spec) : undefined,
      next ? reportRunEnd(town, next, agent?.name) : undefined,
      finish && agent ? afterAgentFinish(town, agent, finish.next, input.by) : undefined,
    ]);
    return { ended: !!next, task: next ?? task, outcome };
  }
  throw new CoreError("CONFLICT", `task ${input.taskId} is changing too fast to finish; try again`);
}

function resultSpec(input: FinishRunInput): ChangeSpec {
  const { taskId, expectedVersion, by, result } = input;
  if (result.kind === "complete")
    return completeSpec(parse(CompleteTaskInput, { taskId, expectedVersion, by, result: result.result }, "completion"));
  return failSpec(
    parse(FailTaskInput, { taskId, expectedVersion, by, error: result.error, messages: result.messages }, "failure"),
  );
}

/** The task and the agent of a run, in one round trip. */
async function readRun(
  town: Town,
  run: { taskId: string; agentId: string },
): Promise<{ task: Task | null; agent: Agent | null }> {
  const rows = (await town.redis
    .pipeline()
    .hgetall(town.keys.task(run.taskId))
    .hgetall(town.keys.agent(run.agentId))
    .exec()) as [Error | null, Record<string, string>][];
  for (const [err] of rows) if (err) throw err;
  return { task: taskFromHash(rows[0]![1]), agent: agentFromHash(rows[1]![1]) };
}

/** A plan whose event follows another plan's in the same script (the task's history keeps the first event's id). */
function asFollowing(plan: WritePlan): WritePlan {
  const { event, ...rest } = plan;
  return { ...rest, events: [...(event ? [event] : []), ...(plan.events ?? [])] };
}

function outcomeOf(state: TaskState | undefined): RunOutcome {
  return state === "completed" ? "completed" : state === "failed" ? "failed" : "none";
}

const skip = (reason: string): BeginRun => ({ kind: "skip", reason });

const backoff = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * 5 * Math.min(attempt + 1, 10)));
