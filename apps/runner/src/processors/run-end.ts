/**
 * How a run ends, as a value: every stage of a run (processors/run-task.ts) ends in a {@link RunEnd} — the verdict on
 * the task, the job's note and a log line — and {@link settleRun} is the one place that carries a verdict out through
 * core: the task's change (version-checked against the run's start), then the agent's (finished, or in error).
 */
import {
  deferTask,
  failAgent,
  findTask,
  finishRun,
  finishAgentRun,
  isLostRace,
  requeueTask,
  unassignTask,
  type RunOutcome,
  type SettleMode,
  type TaskState,
} from "@tinytown/core";
import type { AbortReason, ActiveRun, RunnerContext } from "../context";
import type { ExitResult } from "../process/agent-process";
import type { TaskOutput } from "../process/task-output";

/** What happens to the task when a run ends. */
export type Verdict =
  /** The job was not this runner's to run (the task or agent moved on, another runner has it): nothing changes. */
  | { kind: "skip" }
  | { kind: "complete"; result: string }
  /**
   * `messages: "return"` when the agent never handled its prompt (could not start, timed out); `agentError` also puts
   * the agent in error (its model cannot run here).
   */
  | { kind: "fail"; error: string; messages?: SettleMode; agentError?: string }
  /** Back to assigned on the same agent, at the front of its queue; the next start is a new attempt. */
  | { kind: "requeue"; reason: string }
  /** Given back: requeued, and unassigned when the agent can no longer run it. The agent is not ours to finish. */
  | { kind: "release"; reason: string; unassign: boolean }
  /** Back to assigned without counting the attempt, its next run not before `until` (a rate limit). */
  | { kind: "defer"; reason: string; until: number }
  /** The task changed under the run (the agent reported with `tt`, it was cancelled or taken over): that stands. */
  | { kind: "stands" };

export interface RunEnd {
  verdict: Verdict;
  /** The job's return value (kept by BullMQ, for debugging). */
  note: string;
  log?: { level: "info" | "warn"; message: string };
}

export const isRunEnd = (x: object): x is RunEnd => "verdict" in x;

/** A run that did not happen: nothing to settle. */
export const skip = (note: string): RunEnd => ({ verdict: { kind: "skip" }, note });

const RESULT_CHARS = 2_000;
const STDERR_CHARS = 1_000;

const short = (id: string) => id.slice(0, 8);
const seconds = (ms: number) => (ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(1));

/** The verdict on a run stopped before its process ended by itself. */
export function abortedEnd(ctx: RunnerContext, run: ActiveRun, reason: AbortReason): RunEnd {
  switch (reason.kind) {
    case "interrupt":
      return {
        verdict: { kind: "requeue", reason: reason.message },
        note: "interrupted",
        log: { level: "info", message: `task ${short(run.taskId)} interrupted and requeued at the front` },
      };
    case "shutdown":
      return { verdict: { kind: "requeue", reason: `runner ${ctx.id} stopped` }, note: "requeued (shutdown)" };
    case "timeout":
      return {
        verdict: {
          kind: "fail",
          error: `timed out after ${seconds(ctx.settings.taskTimeoutMs)} s`,
          messages: "return",
        },
        note: "timed out",
      };
    case "agent-stopped":
      return {
        verdict: { kind: "release", reason: `agent ${reason.state}`, unassign: true },
        note: `agent ${reason.state}`,
      };
    case "task-changed":
      return { verdict: { kind: "stands" }, note: `task ${reason.state}` };
    case "budget":
      return {
        verdict: { kind: "fail", error: reason.reason },
        note: "budget reached",
        log: { level: "info", message: `task ${short(run.taskId)} stopped: ${reason.reason}` },
      };
    case "rate-limit":
      return {
        verdict: { kind: "defer", reason: `rate-limited: ${reason.message}`, until: reason.until },
        note: "rate-limited",
        log: {
          level: "info",
          message: `task ${short(run.taskId)} rate-limited; next run at ${new Date(reason.until).toISOString()}`,
        },
      };
  }
}

/**
 * The verdict on a process that ended by itself: by its exit. Not re-read here: when the task changed meanwhile,
 * carrying out the verdict finds the run's version gone and the change stands (settleRun).
 */
export function exitEnd(
  ctx: RunnerContext,
  run: ActiveRun,
  exit: Exclude<ExitResult, { kind: "spawn-failed" }>,
  output: TaskOutput,
): RunEnd {
  const id = short(run.taskId);
  if (exit.kind === "exited" && exit.code === 0)
    return {
      verdict: { kind: "complete", result: output.tail("out", RESULT_CHARS) || "(no output)" },
      note: "completed",
      log: { level: "info", message: `task ${id} completed` },
    };
  if (exit.kind === "exited")
    return {
      verdict: {
        kind: "fail",
        error: `exit code ${exit.code}: ${output.tail("err", STDERR_CHARS) || "(nothing on stderr)"}`,
      },
      note: `exit ${exit.code}`,
      log: { level: "info", message: `task ${id} failed with exit code ${exit.code}` },
    };
  // Killed by a signal we did not send (OOM killer, a crash): a crash is retried within the attempt budget.
  const max = ctx.settings.maxAttempts;
  if (run.attempt < max)
    return {
      verdict: {
        kind: "requeue",
        reason: `killed by ${exit.signal} (attempt ${run.attempt} of ${max}); retrying`,
      },
      note: `killed by ${exit.signal}; requeued`,
    };
  return {
    verdict: { kind: "fail", error: `killed by ${exit.signal}`, messages: "return" },
    note: `killed by ${exit.signal}`,
  };
}

/** The model cannot run here (unknown, no working directory, its command missing): the task fails, the agent errs. */
export function modelEnd(run: ActiveRun, reason: string, note: string, log = false): RunEnd {
  return {
    verdict: { kind: "fail", error: reason, messages: "return", agentError: reason },
    note,
    ...(log ? { log: { level: "warn" as const, message: `task ${short(run.taskId)} failed: ${reason}` } } : {}),
  };
}

/** Carries out a run's end: the task's change, then the agent's. Returns the job's note. */
export async function settleRun(ctx: RunnerContext, run: ActiveRun, end: RunEnd): Promise<string> {
  const { verdict } = end;
  if (verdict.kind === "complete" || verdict.kind === "fail") {
    // Task and agent in one script (core's finishRun); a change made meanwhile stands.
    const done = await finishRun(ctx.town, {
      taskId: run.taskId,
      agentId: run.agentId,
      expectedVersion: run.version,
      result:
        verdict.kind === "complete"
          ? { kind: "complete", result: verdict.result }
          : { kind: "fail", error: verdict.error, messages: verdict.messages },
      by: ctx.by,
    });
    if (verdict.kind === "fail" && verdict.agentError) await failAgentQuietly(ctx, run.agentId, verdict.agentError);
    if (!done.ended) return `task ${done.task?.state ?? "removed"} by ${done.task?.updatedBy ?? "?"}`;
  } else if (verdict.kind !== "skip") {
    const outcome = await applyVerdict(ctx, run, verdict);
    if (outcome) await finishAgentRun(ctx.town, { agentId: run.agentId, taskId: run.taskId, outcome, by: ctx.by });
  }
  if (end.log) ctx.log[end.log.level](end.log.message);
  return end.note;
}

/**
 * The task's change. When someone else changed the task since the run started, their change stands and the outcome
 * counted is the task's current one. Null: the agent's run is not ours to finish (the task was given back).
 */
async function applyVerdict(
  ctx: RunnerContext,
  run: ActiveRun,
  verdict: Exclude<Verdict, { kind: "skip" | "complete" | "fail" }>,
): Promise<RunOutcome | null> {
  const { town, by } = ctx;
  const change = { taskId: run.taskId, expectedVersion: run.version, by };
  try {
    switch (verdict.kind) {
      case "requeue":
        await requeueTask(town, { ...change, reason: verdict.reason });
        return "none";
      case "defer":
        await deferTask(town, { ...change, reason: verdict.reason, until: verdict.until });
        return "none";
      case "release": {
        const t = await requeueTask(town, { ...change, reason: verdict.reason });
        if (verdict.unassign) await unassignTask(town, { taskId: t.id, expectedVersion: t.version, by });
        return null;
      }
      case "stands":
        return outcomeOf((await findTask(town, run.taskId))?.state);
    }
  } catch (err) {
    if (!isLostRace(err)) throw err;
    return verdict.kind === "release" ? null : outcomeOf((await findTask(town, run.taskId))?.state);
  }
}

function outcomeOf(state: TaskState | undefined): RunOutcome {
  return state === "completed" ? "completed" : state === "failed" ? "failed" : "none";
}

async function failAgentQuietly(ctx: RunnerContext, agentId: string, reason: string): Promise<void> {
  try {
    await failAgent(ctx.town, agentId, reason, ctx.by);
  } catch (err) {
    if (!isLostRace(err)) throw err;
  }
}
