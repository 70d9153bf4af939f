import type { Command } from "commander";
import {
  CoreError,
  findAgent,
  findTask,
  followEvents,
  followTaskLog,
  listTasks,
  readEvents,
  readTaskLog,
  type Agent,
  type TaskLogEntry,
  type Town,
  type TownEvent,
} from "@tinytown/core";
import type { Ctx } from "../context";
import { cell, stateColour } from "../output";

export function registerEventCommands(program: Command, ctx: Ctx) {
  const { paint } = ctx;
  const line = (e: TownEvent) => {
    if (ctx.opts().json) return JSON.stringify(e) + "\n";
    const what = e.taskId
      ? `task ${String(e.taskId).slice(0, 8)}`
      : e.agentId
        ? `agent ${typeof e.name === "string" ? e.name : String(e.agentId).slice(0, 8)}`
        : "";
    const change = e.from || e.to ? ` ${e.from ?? "∅"} → ${paint(stateColour(String(e.to)), String(e.to ?? ""))}` : "";
    const extra =
      typeof e.title === "string"
        ? `  ${paint("dim", cell(e.title, 60))}`
        : typeof e.preview === "string"
          ? `  ${paint("dim", cell(e.preview, 60))}`
          : "";
    return `${paint("gray", new Date(e.at).toISOString().slice(11, 23))} ${paint("bold", e.type.padEnd(16))} ${what}${change}  ${paint("dim", `by ${cell(e.by, 30)}`)}${extra}\n`;
  };

  const logLine = (e: TaskLogEntry) => {
    if (ctx.opts().json) return JSON.stringify(e) + "\n";
    const text = cell(e.line, 100_000);
    return e.stream === "err"
      ? paint("red", text) + "\n"
      : e.stream === "sys"
        ? paint("dim", `── ${text}`) + "\n"
        : text + "\n";
  };

  program
    .command("logs <agent-or-task>")
    .description("output of an agent's current (or latest) task, or of one task; -f follows it live")
    .option("-f, --follow", "keep printing until the task ends (for an idle agent: its next task)")
    .option("-n, --lines <n>", "how many past lines", "200")
    .action(async (ref: string, o: { follow?: boolean; lines: string }) => {
      const town = await ctx.town();
      const agent = await findAgent(town, ref).catch(() => null);
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      try {
        if (!agent) {
          const task = await findTask(town, ref);
          if (!task)
            throw new CoreError(
              "NOT_FOUND",
              `no agent or task "${ref}" in town ${town.name}: \`tt list\` and \`tt tasks\` show them`,
            );
          await printTaskLog(town, task.id, Number(o.lines), Boolean(o.follow), abort.signal);
          return;
        }
        let taskId = await latestTaskOf(town, agent);
        if (!taskId && o.follow) {
          // Nothing has run yet: wait for the agent's next run (events, no polling).
          if (!ctx.opts().json) ctx.io.err(paint("dim", `waiting for ${agent.name} to start a task…\n`));
          for await (const ev of followEvents(town, { signal: abort.signal })) {
            if (ev.type === "task.started" && ev.agentId === agent.id && typeof ev.taskId === "string") {
              taskId = ev.taskId;
              break;
            }
          }
        }
        if (!taskId) return ctx.io.err(`${agent.name} has not run a task yet\n`);
        if (!ctx.opts().json) ctx.io.out(paint("bold", `── task ${taskId.slice(0, 8)}\n`));
        // Follows the task until it ends, like \`tail -f\` on a file that closes.
        await printTaskLog(town, taskId, Number(o.lines), Boolean(o.follow), abort.signal);
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      }
    });

  async function printTaskLog(town: Town, taskId: string, lines: number, follow: boolean, signal: AbortSignal) {
    const past = await readTaskLog(town, taskId, { count: lines });
    for (const e of past) ctx.io.out(logLine(e));
    if (!follow) return;
    for await (const e of followTaskLog(town, taskId, {
      after: past.at(-1)?.id,
      signal,
      untilDone: true,
      connection: town.blocking(),
    }))
      ctx.io.out(logLine(e));
  }

  async function latestTaskOf(town: Town, agent: Agent): Promise<string | null> {
    if (agent.currentTask) return agent.currentTask;
    const { items } = await listTasks(town, { agent: agent.id, limit: 1000 });
    const ran = items.filter((t) => t.startedAt).sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0));
    return ran[0]?.id ?? null;
  }

  program
    .command("events")
    .description("the town's event stream (every state change, who made it)")
    .option("-f, --follow", "keep printing new events")
    .option("-n, --limit <n>", "how many recent events", "50")
    .option("--after <id>", "resume after this event id")
    .action(async (o: { follow?: boolean; limit: string; after?: string }) => {
      const town = await ctx.town();
      const past = await readEvents(town, { after: o.after, count: Number(o.limit) });
      for (const e of past) ctx.io.out(line(e));
      if (!o.follow) return;
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      for await (const e of followEvents(town, { after: past.at(-1)?.id ?? o.after, signal: abort.signal }))
        ctx.io.out(line(e));
    });
}
