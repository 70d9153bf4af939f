/**
 * The processor of a `run` job, as stages in the order a run goes through them:
 *
 *   claim → start → launch → watch → judge → settle
 *
 * claim checks the job is still this agent's to run (the task hash is the truth; the job is only a hint), start moves
 * the task to running and the agent to working (losing that race to anyone drops the job), launch builds the prompt
 * and starts the agent's CLI, watch streams it until it exits (or is stopped), judge turns how it ended into a
 * verdict, and settle (run-end.ts) carries the verdict out. A stage that cannot go on returns its {@link RunEnd}
 * instead, so every path ends in the one settle.
 */
import { existsSync } from "node:fs";
import type { Job } from "bullmq";
import {
  beginRun,
  clearRunRecord,
  heartbeatAgent,
  readRunState,
  recordRun,
  resolveModel,
  runnerHeartbeats,
  takeForRun,
  type Agent,
  type Message,
  type ResolvedModel,
  type RunJobData,
  type Task,
} from "@tinytown/core";
import { ActiveRun, type RunnerContext } from "../context";
import { CONTROL_TYPES, handlePendingControl } from "../messages";
import { AgentProcess, type ExitResult } from "../process/agent-process";
import { buildLaunch, cleanupLaunch, logFile, type Launch } from "../process/launch";
import { TaskOutput } from "../process/task-output";
import { emptyRoundEnd } from "../inbox-round";
import { buildPrompt } from "../prompt";
import { planSession, type SessionRun } from "../sessions/session-run";
import { recoverLostRun } from "../recover";
import { afterRunSettled, captureRun, changeRequestSection, prepareWorktree } from "../workspace/run-workspace";
import { abortedEnd, exitEnd, isRunEnd, modelEnd, settleRun, skip, type RunEnd } from "./run-end";

/** Runs one job; returns a short note of what happened (kept by BullMQ as the return value, for debugging). */
export async function runTaskJob(ctx: RunnerContext, job: Job<RunJobData>): Promise<string> {
  const { taskId, agentId } = job.data;
  if (ctx.stopping) return "runner stopping";
  if (ctx.runs.has(taskId) || ctx.runsByAgent.has(agentId)) return "already running here";
  const run = new ActiveRun(taskId, agentId, ctx.settings.killGraceMs);
  ctx.runs.set(taskId, run);
  ctx.runsByAgent.set(agentId, run);
  try {
    const end = await runStages(ctx, run, job);
    const note = await settleRun(ctx, run, end);
    await afterRunSettled(ctx, run);
    return note;
  } finally {
    if (run.credential) ctx.agentApi.revoke(run.credential);
    ctx.runs.delete(taskId);
    if (ctx.runsByAgent.get(agentId) === run) ctx.runsByAgent.delete(agentId);
    run.end();
  }
}

async function runStages(ctx: RunnerContext, run: ActiveRun, job: Job<RunJobData>): Promise<RunEnd> {
  const started = await start(ctx, run, job);
  if (isRunEnd(started)) return started;
  if (run.abortReason) return abortedEnd(ctx, run, run.abortReason);
  const launched = await launch(ctx, run, started.agent, started.task);
  if (isRunEnd(launched)) return launched;
  const exit = await watch(ctx, run, launched);
  await captureRun(ctx, run);
  return judge(ctx, run, launched, exit);
}

/**
 * claim + start in one step (core's beginRun: one read, one script): the job is this agent's to run now — its agent
 * can take work and its task is assigned to it — and the task goes to running on this runner (an attempt counts), the
 * agent to working. A task still running came back to us: take it over when its runner is gone.
 */
async function start(
  ctx: RunnerContext,
  run: ActiveRun,
  job: Job<RunJobData>,
): Promise<{ agent: Agent; task: Task } | RunEnd> {
  const begun = await beginRun(ctx.town, { taskId: run.taskId, agentId: run.agentId, runner: ctx.id, by: ctx.by });
  if (begun.kind === "skip") return skip(begun.reason);
  if (begun.kind === "running") return skip(await takeOver(ctx, begun.task, job));
  run.version = begun.task.version;
  run.attempt = begun.task.attempts;
  return begun;
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
  return `took over: ${await recoverLostRun(ctx, task, holder)}`;
}

interface Launched {
  model: ResolvedModel;
  launch: Launch;
  output: TaskOutput;
  proc: AgentProcess;
  credential: string;
  session: SessionRun;
}

/** The agent's CLI, started on the prompt with the run's credential, its output streaming into the task's log. */
async function launch(ctx: RunnerContext, run: ActiveRun, agent: Agent, task: Task): Promise<Launched | RunEnd> {
  const { town } = ctx;
  let model: ResolvedModel;
  try {
    model = resolveModel(town.config.models, agent.model);
  } catch (err) {
    const reason = `model \`${agent.model}\` is not known to this runner: ${(err as Error).message}`;
    return modelEnd(run, reason, "unknown model");
  }
  const plan = await planSession(ctx, run, task, model);
  if (isRunEnd(plan)) return plan;
  model = plan.model;
  const output = new TaskOutput({
    town,
    taskId: task.id,
    file: logFile(town, task.id),
    maxFileBytes: ctx.settings.logFileMaxBytes,
    onError: (err) => ctx.log.warn(`task ${task.id.slice(0, 8)} log: ${String(err)}`),
  });
  const worktree = await prepareWorktree(ctx, run, agent, task, output);
  if ("error" in worktree) {
    output.sys(worktree.error);
    await output.close();
    return { verdict: { kind: "fail", error: worktree.error, messages: "return" }, note: "workspace failed" };
  }
  const messages = await promptMessages(ctx, run, task);
  const empty = emptyRoundEnd(task, messages);
  if (empty) return empty;
  for (const m of messages) run.promptMessageIds.add(m.id);
  const prompt = buildPrompt({ town, agent, task, messages, review: await changeRequestSection(ctx, task) });
  // The run's credential: the agent reports through the runner's agent API with it, until the process exits.
  const credential = ctx.agentApi.issue({
    agentId: agent.id,
    agentName: agent.name,
    taskId: task.id,
    version: run.version,
  });
  run.credential = credential.token;
  const spec = buildLaunch({
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
  if (worktree.cwd) spec.cwd = worktree.cwd;
  if (!existsSync(spec.cwd)) {
    cleanupLaunch(spec);
    await output.close();
    return modelEnd(
      run,
      `model \`${model.name}\`: working directory ${spec.cwd} does not exist`,
      "no working directory",
    );
  }
  output.sys(`attempt ${task.attempts} of task ${task.id} by agent ${agent.name} (${model.name}) on runner ${ctx.id}`);
  const sessionNote = plan.session.describe();
  if (sessionNote) output.sys(sessionNote);
  const proc = AgentProcess.start({
    command: spec.command,
    args: spec.args,
    cwd: spec.cwd,
    env: spec.env,
    stdin: spec.stdin,
    output: plan.session.sink(output),
    maxLineChars: plan.session.lineCap,
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
  return { model, launch: spec, output, proc, credential: credential.token, session: plan.session };
}

/**
 * The agent's pending messages for the prompt, most urgent first. Control messages are handled, not prompted. The
 * others stay held for this run (core's takeForRun) and leave the inbox only when the run ends normally.
 */
async function promptMessages(ctx: RunnerContext, run: ActiveRun, task: Task): Promise<Message[]> {
  // Disjoint sets (control messages vs the rest), each taken atomically: one round trip for both, not two.
  const [, messages] = await Promise.all([
    handlePendingControl(ctx, run.agentId),
    takeForRun(ctx.town, {
      agentId: run.agentId,
      taskId: run.taskId,
      attempt: task.attempts,
      leave: [...CONTROL_TYPES],
    }),
  ]);
  return messages;
}

/**
 * Waits for the process to end, checking the run on every heartbeat and stopping it at the timeout; then closes its
 * output and removes what the launch left (the credential, the prompt file, the run record).
 */
async function watch(ctx: RunnerContext, run: ActiveRun, launched: Launched): Promise<ExitResult> {
  const heartbeat = setInterval(
    () => void checkRun(ctx, run).catch((err) => ctx.log.warn(`heartbeat: ${String(err)}`)),
    ctx.settings.heartbeatMs,
  );
  const timeout = setTimeout(() => run.abort({ kind: "timeout" }), ctx.settings.taskTimeoutMs);
  let exit: ExitResult;
  try {
    exit = await launched.proc.exited;
  } finally {
    ctx.agentApi.revoke(launched.credential);
    clearInterval(heartbeat);
    clearTimeout(timeout);
  }
  const { output } = launched;
  await launched.session.finish(exit, output);
  output.sys(`run ended: ${describeExit(exit)}${run.abortReason ? ` (${run.abortReason.kind})` : ""}`);
  await output.close();
  cleanupLaunch(launched.launch);
  await clearRunRecord(ctx.town, { agentId: run.agentId, taskId: run.taskId, runner: ctx.id });
  return exit;
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
  // The agent asked a human (`tt ask`): the task waits for the answer and the agent ends its run by itself.
  if (task?.waitingFor) return;
  run.abort({ kind: "task-changed", state: task?.state ?? "removed" });
}

/** How the run ended, as a verdict: it could not start, it was stopped, or its process exited by itself. */
async function judge(ctx: RunnerContext, run: ActiveRun, launched: Launched, exit: ExitResult): Promise<RunEnd> {
  if (exit.kind === "spawn-failed") return modelEnd(run, spawnFailure(launched, exit), "spawn failed", true);
  if (run.abortReason) return abortedEnd(ctx, run, run.abortReason);
  return exitEnd(ctx, run, exit, launched.output);
}

function describeExit(r: ExitResult): string {
  if (r.kind === "exited") return `exit code ${r.code}`;
  if (r.kind === "signalled") return `killed by ${r.signal}`;
  return `could not start (${r.code})`;
}

function spawnFailure({ model, launch }: Launched, r: Extract<ExitResult, { kind: "spawn-failed" }>): string {
  if (r.code === "ENOENT") return `model \`${model.name}\` needs the \`${launch.command}\` command on PATH`;
  if (r.code === "EACCES") return `model \`${model.name}\`: \`${launch.command}\` is not executable`;
  return `model \`${model.name}\`: could not start \`${launch.command}\`: ${r.message}`;
}
