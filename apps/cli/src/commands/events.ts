import type { Command } from "commander";
import {
  CoreError,
  findAgent,
  followActivity,
  formatActivity,
  findTask,
  followEvents,
  followTaskLog,
  lastTaskOf,
  listAgents,
  readActivity,
  readEvents,
  readTaskLog,
  type ActivityEntry,
  type TaskLogEntry,
  type Town,
  type TownEvent,
} from "@tinytown/core";
import type { Ctx } from "../context";
import { following } from "../follow";
import { eventId, int } from "../options";
import { cell, stateColour } from "../output";

const str = (v: unknown) => (typeof v === "string" ? v : "");

export function registerEventCommands(program: Command, ctx: Ctx) {
  const { paint } = ctx;

  /** Agent names by id, so that events name agents; refreshed when an unknown id shows up while following. */
  async function agentNames(town: Town): Promise<(id: unknown) => string> {
    let names = new Map((await listAgents(town)).map((a) => [a.id, a.name]));
    let refreshed = Date.now();
    return (id) => {
      if (typeof id !== "string") return "";
      const name = names.get(id);
      if (!name && Date.now() - refreshed > 1_000) {
        refreshed = Date.now();
        void listAgents(town)
          .then((list) => (names = new Map(list.map((a) => [a.id, a.name]))))
          .catch(() => undefined);
      }
      return name ?? id.slice(0, 8);
    };
  }

  const line = (e: TownEvent, nameOf: (id: unknown) => string) => {
    if (ctx.opts().json) return JSON.stringify(e) + "\n";
    const agent = typeof e.name === "string" ? e.name : nameOf(e.agentId);
    let what: string;
    if (e.type === "message.sent") {
      const to = typeof e.toName === "string" ? e.toName : e.agentId ? agent : "supervisor";
      what = `${cell(String(e.from ?? e.by), 30)} → ${paint("bold", cell(to, 64))} ${str(e.priority) ? paint(stateColour(str(e.priority)), str(e.priority)) : ""} ${str(e.msgType)}`;
    } else if (e.taskId) what = `task ${String(e.taskId).slice(0, 8)}${e.agentId ? ` (${cell(agent, 64)})` : ""}`;
    else what = e.agentId ? `agent ${cell(agent, 64)}` : "";
    const change =
      e.type !== "message.sent" && (e.from || e.to)
        ? ` ${e.from ?? "∅"} → ${paint(stateColour(String(e.to)), String(e.to ?? ""))}`
        : "";
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

  /** One activity event: time, then what the agent did; tool calls stand out, failures in red. */
  const activityLine = (e: ActivityEntry) => {
    if (ctx.opts().json) return JSON.stringify(e) + "\n";
    const text = formatActivity(e);
    if (text === null) return "";
    const at = paint("gray", new Date(e.at).toISOString().slice(11, 19));
    const body = cell(text, 100_000);
    const shown =
      e.kind === "tool_call"
        ? paint("cyan", body)
        : (e.kind === "tool_result" && !e.ok) || e.kind === "error"
          ? paint("red", body)
          : e.kind === "rate_limit"
            ? paint("yellow", body)
            : e.kind === "file_edit"
              ? paint("green", body)
              : (e.kind === "text" && e.reasoning) || e.kind === "session" || e.kind === "raw"
                ? paint("dim", body)
                : body;
    return `${at} ${shown}\n`;
  };

  program
    .command("logs <agent-or-task>")
    .description(
      "what an agent's current (or latest) task, or one task, is doing: its activity (tool calls, results, errors) for " +
        "agents that report it, else its output; -f follows it live, --json gives the events raw",
    )
    .option("-f, --follow", "keep printing until the task ends (for an idle agent: its next task)")
    .option("-n, --lines <n>", "how many past lines (1-10000)", int({ min: 1, max: 10_000 }), 200)
    .option("--raw", "the plain output (stdout, stderr, runner lines) even when the task has activity")
    .action(async (ref: string, o: { follow?: boolean; lines: number; raw?: boolean }) => {
      const town = await ctx.town();
      const agent = await findAgent(town, ref).catch(() => null);
      if (!agent) {
        const task = await findTask(town, ref);
        if (!task)
          throw new CoreError(
            "NOT_FOUND",
            `no agent or task "${ref}" in town ${town.name}: \`tt list\` and \`tt tasks\` show them`,
          );
        return printTaskLog(town, task.id, o.lines, Boolean(o.follow), o.raw);
      }
      let taskId = await lastTaskOf(town, agent.id);
      if (!taskId && o.follow) {
        // Nothing has run yet: wait for the agent's next run (events, no polling).
        if (!ctx.opts().json) ctx.io.err(paint("dim", `waiting for ${agent.name} to start a task…\n`));
        await following(ctx, town, async (signal, connection) => {
          for await (const ev of followEvents(town, { signal, connection })) {
            if (ev.type === "task.started" && ev.agentId === agent.id && typeof ev.taskId === "string") {
              taskId = ev.taskId;
              return;
            }
          }
        });
      }
      if (ctx.exitCode !== undefined) return;
      if (!taskId) return ctx.io.err(`${agent.name} has not run a task yet\n`);
      if (!ctx.opts().json) ctx.io.out(paint("bold", `── task ${taskId.slice(0, 8)}\n`));
      // Follows the task until it ends, like `tail -f` on a file that closes.
      await printTaskLog(town, taskId, o.lines, Boolean(o.follow), o.raw);
    });

  async function printTaskLog(town: Town, taskId: string, lines: number, follow: boolean, raw = false) {
    if (!raw) {
      const activity = await readActivity(town, taskId, { count: lines });
      if (activity.length > 0) return printActivity(town, taskId, activity, follow);
    }
    const past = await readTaskLog(town, taskId, { count: lines });
    for (const e of past) ctx.io.out(logLine(e));
    if (!follow) return;
    await following(ctx, town, async (signal, connection) => {
      for await (const e of followTaskLog(town, taskId, {
        after: past.at(-1)?.id,
        signal,
        untilDone: true,
        connection,
      }))
        ctx.io.out(logLine(e));
    });
  }

  async function printActivity(town: Town, taskId: string, past: ActivityEntry[], follow: boolean) {
    for (const e of past) ctx.io.out(activityLine(e));
    if (!follow) return;
    await following(ctx, town, async (signal, connection) => {
      for await (const e of followActivity(town, taskId, {
        after: past.at(-1)?.id,
        signal,
        untilDone: true,
        connection,
      }))
        ctx.io.out(activityLine(e));
    });
  }

  program
    .command("events")
    .description("the town's event stream (every state change, who made it)")
    .option("-f, --follow", "keep printing new events")
    .option("-n, --limit <n>", "how many recent events (1-10000)", int({ min: 1, max: 10_000 }), 50)
    .option("--after <id>", "resume after this event id (as printed by --json)", eventId)
    .action(async (o: { follow?: boolean; limit: number; after?: string }) => {
      const town = await ctx.town();
      const nameOf = await agentNames(town);
      const past = await readEvents(town, { after: o.after, count: o.limit });
      for (const e of past) ctx.io.out(line(e, nameOf));
      if (!o.follow) return;
      await following(ctx, town, async (signal, connection) => {
        for await (const e of followEvents(town, { after: past.at(-1)?.id ?? o.after, signal, connection }))
          ctx.io.out(line(e, nameOf));
      });
    });
}
