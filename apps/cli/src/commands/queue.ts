import type { Command } from "commander";
import { cleanQueues, interruptAgent, listQueues, promoteTask, resumeAgent, retryQueues } from "@tinytown/core";
import type { Ctx } from "../context";
import { stateColour, table } from "../output";

export function registerQueueCommands(program: Command, ctx: Ctx) {
  const { paint } = ctx;
  const queue = program
    .command("queue")
    .description("the agents' run queues (BullMQ): list, clean, retry, promote, pause, resume");

  queue
    .command("list", { isDefault: true })
    .description("each agent's queue: waiting, running, paused")
    .action(async () => {
      const rows = await listQueues(await ctx.town());
      ctx.emit(rows, () =>
        rows.length === 0
          ? "no agents, so no queues\n"
          : table(
              rows.map((r) => [
                paint("bold", r.agent),
                paint(stateColour(r.agentState), r.agentState),
                String(r.counts.waiting + r.counts.prioritized),
                String(r.counts.active),
                String(r.counts.delayed),
                String(r.assigned),
                r.paused ? paint("yellow", "paused") : "",
              ]),
              ["AGENT", "STATE", "WAITING", "ACTIVE", "DELAYED", "ASSIGNED TASKS", ""],
              paint,
            ),
      );
    });

  queue
    .command("clean [agent]")
    .description("drop waiting jobs whose task is no longer assigned to that agent")
    .action(async (agent: string | undefined) => {
      const res = await cleanQueues(await ctx.town(), { agent });
      ctx.emit(res, () => res.map((r) => `${r.agent}: removed ${r.removed} stale job(s)\n`).join("") || "no agents\n");
    });

  queue
    .command("retry [agent]")
    .description("put back the run of every assigned task that lost its job")
    .action(async (agent: string | undefined) => {
      const res = await retryQueues(await ctx.town(), { agent });
      ctx.emit(res, () => res.map((r) => `${r.agent}: re-enqueued ${r.enqueued} run(s)\n`).join("") || "no agents\n");
    });

  queue
    .command("promote <task>")
    .description("move an assigned task to the front of its agent's queue")
    .action(async (task: string) => {
      await promoteTask(await ctx.town(), task);
      ctx.emit({ promoted: task }, () => `${paint("green", "✓")} task ${task} is next in its agent's queue\n`);
    });

  queue
    .command("pause <agent>")
    .description("pause an agent's queue (the same as tt interrupt: it takes no new work)")
    .action(async (agent: string) => {
      const a = await interruptAgent(await ctx.town(), agent, ctx.actor);
      ctx.emit(a, () => `${paint("green", "✓")} ${a.name}'s queue is paused\n`);
    });

  queue
    .command("resume <agent>")
    .description("resume a paused agent's queue (the same as tt resume)")
    .action(async (agent: string) => {
      const a = await resumeAgent(await ctx.town(), agent, ctx.actor);
      ctx.emit(a, () => `${paint("green", "✓")} ${a.name}'s queue is running\n`);
    });
}
