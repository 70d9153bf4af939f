/**
 * Tasks left `running` by a lost runner: requeued (the next start counts as a new attempt), or failed once
 * they have used town.config.runner.maxAttempts attempts. Version-checked, so when several runners notice the
 * same loss exactly one acts, and a newer run of the task is never touched. Either way the messages the lost run had
 * in its prompt go back to the agent's inbox, in their original order (core settles them as the task leaves running).
 */
import { failTask, finishAgentRun, isLostRace, requeueTask, type Task } from "@tinytown/core";
import type { RunnerContext } from "./context";
import { killOrphan } from "./run-record";

export async function recoverLostRun(
  ctx: RunnerContext,
  task: Task,
  lostRunner: string,
): Promise<"requeued" | "failed" | "skipped"> {
  const agentId = task.assignedTo;
  if (!agentId) return "skipped";
  await killOrphan(ctx, agentId, task.id);
  try {
    if (task.attempts >= ctx.settings.maxAttempts) {
      await failTask(ctx.town, {
        taskId: task.id,
        expectedVersion: task.version,
        error: `runner lost ${task.attempts} times`,
        by: ctx.by,
        // The lost runs never finished their prompt: its messages go back to the agent's inbox.
        messages: "return",
      });
      await finishAgentRun(ctx.town, { agentId, taskId: task.id, outcome: "failed", by: ctx.by });
      ctx.log.warn(
        `task ${task.id.slice(0, 8)} failed: runner ${lostRunner} lost, attempts used up (${task.attempts})`,
      );
      return "failed";
    }
    await requeueTask(ctx.town, {
      taskId: task.id,
      expectedVersion: task.version,
      reason: `runner ${lostRunner} was lost`,
      by: ctx.by,
    });
    await finishAgentRun(ctx.town, { agentId, taskId: task.id, outcome: "none", by: ctx.by });
    ctx.log.warn(`task ${task.id.slice(0, 8)} requeued: runner ${lostRunner} was lost (attempt ${task.attempts})`);
    return "requeued";
  } catch (err) {
    if (isLostRace(err)) return "skipped";
    throw err;
  }
}
