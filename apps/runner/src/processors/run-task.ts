/**
 * The processor of a `run` job: start the task (the task hash is the truth; the job is only a hint), mark the
 * agent working, build the prompt, launch the agent's CLI, stream its output, and settle the task by how the
 * process ended. Any runner may get any job: losing a race (INVALID_STATE / CONFLICT) means someone else has
 * the task, and the job is dropped.
 */
import { existsSync } from "node:fs";
import type { Job } from "bullmq";
import {
  clearRunRecord,
  completeTask,
  failAgent,
  failTask,
  findAgent,
  findTask,
  recordRun,
  heartbeatAgent,
  readRunState,
  runnerHeartbeats,
  isCoreError,
  requeueTask,
  resolveModel,
  startTask,
  takeForRun,
  unassignTask,
  type Agent,
  type Message,
  type ResolvedModel,
  type RunJobData,
  type SettleMode,
  type Task,
} from "@tinytown/core";
import { finishAgent, markWorking, type RunOutcome } from "../agent-state";
import { ActiveRun, type AbortReason, type RunnerContext } from "../context";
import { CONTROL_TYPES, handlePendingControl } from "../messages";
import { AgentProcess, type ExitResult } from "../process/agent-process";
import { buildLaunch, cleanupLaunch, logFile, type Launch } from "../process/launch";
import { TaskOutput } from "../process/task-output";
import { buildPrompt } from "../prompt";
import { recoverLostRun } from "../recover";

const RESULT_CHARS = 2_000;
const STDERR_CHARS = 1_000;

/** Runs one job; returns a short note of what happened (kept by BullMQ as the return value, for debugging). */
export async function runTaskJob(ctx: RunnerContext, job: Job<RunJobData>): Promise<string> {
  const { taskId, agentId } = job.data;
  if (ctx.stopping) return "runner stopping";
  if (ctx.runs.has(taskId) || ctx.runsByAgent.has(agentId)) return "already running here";
  const run = new ActiveRun(taskId, agentId, ctx.settings.killGraceMs);
  ctx.runs.set(taskId, run);
  ctx.runsByAgent.set(agentId, run);
  try {
    return await execute(ctx, run, job);
  } finally {
    if (run.credential) ctx.agentApi.revoke(run.credential);
    ctx.runs.delete(taskId);
    if (ctx.runsByAgent.get(agentId) === run) ctx.runsByAgent.delete(agentId);
    run.end();
  }
}

const dropped = (err: unknown) => isCoreError(err, "CONFLICT") || isCoreError(err, "INVALID_STATE");

async function execute(ctx: RunnerContext, run: ActiveRun, job: Job<RunJobData>): Promise<string> {
  const { town } = ctx;
  const agent = await findAgent(town, run.agentId);
  if (!agent) return "agent gone";
  if (!["idle", "starting", "working"].includes(agent.state)) return `agent is ${agent.state}`;
  const seen = await findTask(town, run.taskId);
  if (!seen || seen.assignedTo !== run.agentId) return "task is not this agent's";
  if (seen.state === "running") return takeOver(ctx, seen, job);
  if (seen.state !== "assigned") return `task is ${seen.state}`;
  if (agent.state === "working" && agent.currentTask && agent.currentTask !== seen.id) {
    // Left working by a lost runner whose run is not recovered yet: reconcile or the stalled job will.
    if ((await findTask(town, agent.currentTask))?.state === "running") return "agent busy";
  }

  let task: Task;
  try {
    task = await startTask(town, { taskId: run.taskId, agentId: run.agentId, runner: ctx.id, by: ctx.by });
  } catch (err) {
    if (dropped(err)) return "taken by someone else";
    throw err;
  }
  run.version = task.version;
  try {
    await markWorking(ctx, run.agentId, task.id);
  } catch (err) {
    if (!isCoreError(err, "INVALID_STATE")) throw err;
    // The agent was paused, closed or stopped between our check and the start: give the task back.
    const state = typeof err.details.state === "string" ? err.details.state : "";
    await release(ctx, run, `agent ${agent.name} became ${state}`, state === "stopped" || state === "error");
    return `agent became ${state}`;
  }
  if (run.abortReason) return settleAborted(ctx, run, task);

  let model: ResolvedModel;
  try {
    model = resolveModel(town.config.models, agent.model);
  } catch (err) {
    const reason = `model \`${agent.model}\` is not known to this runner: ${(err as Error).message}`;
    await failRun(ctx, run, reason, "return");
    await failAgentQuietly(ctx, run.agentId, reason);
    return "unknown model";
  }

  const messages = await promptMessages(ctx, run, task);
  for (const m of messages) run.promptMessageIds.add(m.id);
  const prompt = buildPrompt({ town, agent, task, messages });
  // The run's credential: the agent reports through the runner's agent API with it, until the process exits.
  const credential = ctx.agentApi.issue({
    agentId: agent.id,
    agentName: agent.name,
    taskId: task.id,
    version: run.version,
  });
  run.credential = credential.token;
  const launch = buildLaunch({
    town,
    model,
    prompt,
    agentName: agent.name,
    agentId: agent.id,
    taskId: task.id,
    attempt: task.attempts,
    runnerId: ctx.id,
    credentialEnv: credential.env,
  });
  if (!existsSync(launch.cwd)) {
    cleanupLaunch(launch);
    const reason = `model \`${model.name}\`: working directory ${launch.cwd} does not exist`;
    await failRun(ctx, run, reason, "return");
    await failAgentQuietly(ctx, run.agentId, reason);
    return "no working directory";
  }
  const output = new TaskOutput({
    town,
    taskId: task.id,
    file: logFile(town, task.id),
    maxFileBytes: ctx.settings.logFileMaxBytes,
    onError: (err) => ctx.log.warn(`task ${task.id.slice(0, 8)} log: ${String(err)}`),
  });
  output.sys(`attempt ${task.attempts} of task ${task.id} by agent ${agent.name} (${model.name}) on runner ${ctx.id}`);
  const proc = AgentProcess.start({
    command: launch.command,
    args: launch.args,
    cwd: launch.cwd,
    env: launch.env,
    stdin: launch.stdin,
    output,
  });
  run.proc = proc;
  if (run.abortReason) void proc.terminate(ctx.settings.killGraceMs);
  if (proc.pid !== undefined) {
    await recordRun(town, run.agentId, {
      runner: ctx.id,
      host: ctx.host,
      pid: proc.pid,
      taskId: task.id,
      version: run.version,
      startedAt: Date.now(),
    });
  }
  ctx.log.info(
    `task ${task.id.slice(0, 8)} started on ${agent.name} (pid ${proc.pid ?? "-"}, attempt ${task.attempts})`,
  );

  const heartbeat = setInterval(
    () => void checkRun(ctx, run).catch((err) => ctx.log.warn(`heartbeat: ${String(err)}`)),
    ctx.settings.heartbeatMs,
  );
  const timeout = setTimeout(() => run.abort({ kind: "timeout" }), ctx.settings.taskTimeoutMs);
  let result: ExitResult;
  try {
    result = await proc.exited;
  } finally {
    ctx.agentApi.revoke(credential.token);
    clearInterval(heartbeat);
    clearTimeout(timeout);
  }
  // abort() may have run meanwhile (TypeScript narrowed the field at the check above).
  const aborted = run.abortReason as AbortReason | null;
  output.sys(`run ended: ${describeExit(result)}${aborted ? ` (${aborted.kind})` : ""}`);
  await output.close();
  cleanupLaunch(launch);
  await clearRunRecord(town, { agentId: run.agentId, taskId: task.id, runner: ctx.id });

  if (result.kind === "spawn-failed") {
    const reason = spawnFailure(model, launch, result);
    await failRun(ctx, run, reason, "return");
    await failAgentQuietly(ctx, run.agentId, reason);
    ctx.log.warn(`task ${task.id.slice(0, 8)} failed: ${reason}`);
    return "spawn failed";
  }
  if (aborted) return settleAborted(ctx, run, task);
  return settleExit(ctx, run, task, result, output);
}

/** The job of a task still `running` came back: its lock expired. Take over if the runner holding it is gone. */
async function takeOver(ctx: RunnerContext, task: Task, job: Job<RunJobData>): Promise<string> {
  const redelivered = job.stalledCounter > 0 || job.attemptsStarted > 1;
  const holder = task.runner;
  if (!redelivered || !holder) return "running elsewhere";
  if (holder !== ctx.id) {
    const seen = (await runnerHeartbeats(ctx.town)).get(holder) ?? 0;
    if (Date.now() - seen < ctx.settings.lockDurationMs) return "holder still alive";
  }
  const r = await recoverLostRun(ctx, task, holder);
  return `took over: ${r}`;
}

/**
 * The agent's pending messages for the prompt, most urgent first. Control messages are handled, not prompted. The
 * others stay held for this run (core's takeForRun) and leave the inbox only when the run ends normally.
 */
async function promptMessages(ctx: RunnerContext, run: ActiveRun, task: Task): Promise<Message[]> {
  await handlePendingControl(ctx, run.agentId);
  return takeForRun(ctx.town, {
    agentId: run.agentId,
    taskId: run.taskId,
    attempt: task.attempts,
    leave: [...CONTROL_TYPES],
  });
}

/** Every heartbeat: record liveness, and stop the run if its task or agent changed under it. */
async function checkRun(ctx: RunnerContext, run: ActiveRun): Promise<void> {
  await heartbeatAgent(ctx.town, run.agentId);
  const { task, agentState } = await readRunState(ctx.town, run);
  if (agentState === "stopped" || agentState === "error" || agentState === null) {
    run.abort({ kind: "agent-stopped", state: agentState ?? "removed" });
    return;
  }
  if (task?.state === "running" && task.version === run.version) return;
  // The agent reported with `tt task complete|fail`: let it exit by itself.
  if (task?.state === "completed" || task?.state === "failed") return;
  run.abort({ kind: "task-changed", state: task?.state ?? "removed" });
}

function describeExit(r: ExitResult): string {
  if (r.kind === "exited") return `exit code ${r.code}`;
  if (r.kind === "signalled") return `killed by ${r.signal}`;
  return `could not start (${r.code})`;
}

function spawnFailure(model: ResolvedModel, launch: Launch, r: Extract<ExitResult, { kind: "spawn-failed" }>): string {
  if (r.code === "ENOENT") return `model \`${model.name}\` needs the \`${launch.command}\` command on PATH`;
  if (r.code === "EACCES") return `model \`${model.name}\`: \`${launch.command}\` is not executable`;
  return `model \`${model.name}\`: could not start \`${launch.command}\`: ${r.message}`;
}

const seconds = (ms: number) => (ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(1));

function outcomeOf(state: string | undefined): RunOutcome {
  return state === "completed" ? "completed" : state === "failed" ? "failed" : "none";
}

/**
 * Applies the run's verdict unless the task changed since the run started (the agent reported with `tt`, or
 * it was cancelled or taken over): then the task's current state stands. Returns the outcome to count.
 */
async function verdict(
  ctx: RunnerContext,
  run: ActiveRun,
  apply: () => Promise<unknown>,
  outcome: RunOutcome,
): Promise<RunOutcome> {
  try {
    await apply();
    return outcome;
  } catch (err) {
    if (!dropped(err)) throw err;
    return outcomeOf((await findTask(ctx.town, run.taskId))?.state);
  }
}

/** Fails the run's task; `messages: "return"` when the agent never handled its prompt (could not start, timed out). */
async function failRun(ctx: RunnerContext, run: ActiveRun, error: string, messages?: SettleMode): Promise<void> {
  const outcome = await verdict(
    ctx,
    run,
    () => failTask(ctx.town, { taskId: run.taskId, expectedVersion: run.version, error, by: ctx.by, messages }),
    "failed",
  );
  await finishAgent(ctx, run.agentId, run.taskId, outcome);
}

async function requeueRun(ctx: RunnerContext, run: ActiveRun, reason: string): Promise<void> {
  const outcome = await verdict(
    ctx,
    run,
    () => requeueTask(ctx.town, { taskId: run.taskId, expectedVersion: run.version, reason, by: ctx.by }),
    "none",
  );
  await finishAgent(ctx, run.agentId, run.taskId, outcome);
}

/** Gives a started task back: requeued, and back to the backlog when the agent can no longer run it. */
async function release(ctx: RunnerContext, run: ActiveRun, reason: string, unassign: boolean): Promise<void> {
  try {
    const t = await requeueTask(ctx.town, { taskId: run.taskId, expectedVersion: run.version, reason, by: ctx.by });
    if (unassign) await unassignTask(ctx.town, { taskId: t.id, expectedVersion: t.version, by: ctx.by });
  } catch (err) {
    if (!dropped(err)) throw err;
  }
}

async function failAgentQuietly(ctx: RunnerContext, agentId: string, reason: string): Promise<Agent | null> {
  try {
    return await failAgent(ctx.town, agentId, reason, ctx.by);
  } catch (err) {
    if (dropped(err)) return null;
    throw err;
  }
}

async function settleAborted(ctx: RunnerContext, run: ActiveRun, task: Task): Promise<string> {
  const r = run.abortReason!;
  switch (r.kind) {
    case "interrupt":
      await requeueRun(ctx, run, r.message);
      ctx.log.info(`task ${task.id.slice(0, 8)} interrupted and requeued at the front`);
      return "interrupted";
    case "shutdown":
      await requeueRun(ctx, run, `runner ${ctx.id} stopped`);
      return "requeued (shutdown)";
    case "timeout":
      await failRun(ctx, run, `timed out after ${seconds(ctx.settings.taskTimeoutMs)} s`, "return");
      return "timed out";
    case "agent-stopped":
      await release(ctx, run, `agent ${r.state}`, true);
      return `agent ${r.state}`;
    case "task-changed": {
      const cur = await findTask(ctx.town, run.taskId);
      await finishAgent(ctx, run.agentId, run.taskId, outcomeOf(cur?.state));
      return `task ${r.state}`;
    }
  }
}

async function settleExit(
  ctx: RunnerContext,
  run: ActiveRun,
  task: Task,
  result: Exclude<ExitResult, { kind: "spawn-failed" }>,
  output: TaskOutput,
): Promise<string> {
  const cur = await findTask(ctx.town, run.taskId);
  if (!cur || cur.state !== "running" || cur.version !== run.version) {
    // The agent reported itself (`tt task complete|fail`) or the task was changed: that stands.
    await finishAgent(ctx, run.agentId, run.taskId, outcomeOf(cur?.state));
    return `task ${cur?.state ?? "removed"} by ${cur?.updatedBy ?? "?"}`;
  }
  if (result.kind === "exited" && result.code === 0) {
    const out = output.tail("out", RESULT_CHARS) || "(no output)";
    const outcome = await verdict(
      ctx,
      run,
      () => completeTask(ctx.town, { taskId: run.taskId, expectedVersion: run.version, result: out, by: ctx.by }),
      "completed",
    );
    await finishAgent(ctx, run.agentId, run.taskId, outcome);
    ctx.log.info(`task ${task.id.slice(0, 8)} completed`);
    return "completed";
  }
  if (result.kind === "exited") {
    await failRun(ctx, run, `exit code ${result.code}: ${output.tail("err", STDERR_CHARS) || "(nothing on stderr)"}`);
    ctx.log.info(`task ${task.id.slice(0, 8)} failed with exit code ${result.code}`);
    return `exit ${result.code}`;
  }
  // Killed by a signal we did not send (OOM killer, a crash): a crash is retried within the attempt budget.
  if (cur.attempts < ctx.settings.maxAttempts) {
    await requeueRun(
      ctx,
      run,
      `killed by ${result.signal} (attempt ${cur.attempts} of ${ctx.settings.maxAttempts}); retrying`,
    );
    return `killed by ${result.signal}; requeued`;
  }
  await failRun(ctx, run, `killed by ${result.signal}`, "return");
  return `killed by ${result.signal}`;
}
