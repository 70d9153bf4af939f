import type { Command } from "commander";
import {
  assignTask,
  recordTaskAssign,
  cancelTask,
  claimTask,
  completeTask,
  CoreError,
  createTask,
  failTask,
  formatUsageLine,
  getTaskUsage,
  listAgents,
  listBacklog,
  listTasks,
  resolveAgent,
  retryTask,
  taskDetail,
  unassignTask,
  PRIORITIES,
  TASK_STATES,
  type Priority,
  type Task,
  type TaskState,
  type Town,
} from "@tinytown/core";
import type { Ctx } from "../context";
import { int, many, oneOf, text } from "../options";
import { ago, cell, safe, stateColour, table } from "../output";
import { registerReviewCommands } from "./review";

const PRIORITY_HELP = `priority: ${PRIORITIES.join(", ")}`;
const priority = oneOf(PRIORITIES, "priority");
const limit = int({ min: 1, max: 1000 });
const collect = many(text);

/** Resolves a task id argument; inside an agent process it defaults to the agent's current task (TT_TASK). */
function taskRef(ctx: Ctx, id: string | undefined): string {
  const ref = id ?? ctx.io.env.TT_TASK;
  if (!ref) throw new CoreError("VALIDATION", "which task? give its id (or a unique prefix); `tt tasks` lists them");
  return ref;
}

export function registerTaskCommands(program: Command, ctx: Ctx) {
  const { paint } = ctx;
  const names = async (town: Town) => new Map((await listAgents(town)).map((a) => [a.id, a.name]));
  const rows = (tasks: Task[], agentNames: Map<string, string>) =>
    tasks.map((t) => [
      t.id.slice(0, 8),
      paint(stateColour(t.state), t.state),
      paint(stateColour(t.priority), t.priority),
      t.assignedTo ? (agentNames.get(t.assignedTo) ?? t.assignedTo.slice(0, 8)) : "-",
      ago(t.updatedAt),
      cell(t.description, 50),
      t.error ? paint("red", cell(t.error, 40)) : cell(t.result, 40),
    ]);
  const HEAD = ["ID", "STATE", "PRIORITY", "AGENT", "UPDATED", "TASK", "RESULT / ERROR"];
  const done = (t: Task, verb: string) =>
    ctx.emit(
      t,
      () =>
        `${paint("green", "✓")} ${verb} task ${paint("bold", t.id.slice(0, 8))}: ${paint(stateColour(t.state), t.state)} (version ${t.version})\n`,
    );

  program
    .command("assign <agent> <task...>")
    .description("create a task and assign it to an agent")
    .option("-p, --priority <priority>", PRIORITY_HELP, priority, "normal" as Priority)
    .option("--tag <tag>", "tag the task (repeatable)", collect)
    .action(async (agent: string, words: string[], o: { priority: Priority; tag?: string[] }) => {
      const town = await ctx.town();
      const t = await createTask(town, {
        description: words.join(" "),
        priority: o.priority,
        tags: o.tag,
        assignTo: agent,
        by: ctx.actor,
      });
      await recordTaskAssign(town, t, ctx.actor);
      const a = await resolveAgent(town, agent);
      ctx.emit(
        t,
        () => `${paint("green", "✓")} task ${paint("bold", t.id.slice(0, 8))} assigned to ${a.name} (${t.priority})\n`,
      );
    });

  program
    .command("tasks")
    .description("list tasks, newest first")
    .option("-s, --state <state>", `only this state (${TASK_STATES.join(", ")})`, oneOf(TASK_STATES, "task state"))
    .option("-a, --agent <agent>", "only this agent's tasks", text)
    .option("-n, --limit <n>", "how many (1-1000)", limit, 50)
    .option("--offset <n>", "skip this many", int({ min: 0, max: 1_000_000 }), 0)
    .action(async (o: { state?: TaskState; agent?: string; limit: number; offset: number }) => {
      const town = await ctx.town();
      const page = await listTasks(town, { state: o.state, agent: o.agent, limit: o.limit, offset: o.offset });
      const agentNames = await names(town);
      ctx.emit(page, () =>
        page.items.length === 0
          ? "no tasks\n"
          : table(rows(page.items, agentNames), HEAD, paint) +
            (page.total > page.items.length
              ? paint(
                  "dim",
                  `${page.items.length} of ${page.total}: --offset ${o.offset + page.items.length} for more\n`,
                )
              : ""),
      );
    });

  const backlog = program.command("backlog").description("pending tasks nobody has yet, by priority then age");
  backlog
    .command("add <task...>")
    .description("add a task to the backlog")
    .option("-p, --priority <priority>", PRIORITY_HELP, priority, "normal" as Priority)
    .option("--tag <tag>", "tag the task (repeatable)", collect)
    .action(async (words: string[], o: { priority: Priority; tag?: string[] }) => {
      const t = await createTask(await ctx.town(), {
        description: words.join(" "),
        priority: o.priority,
        tags: o.tag,
        by: ctx.actor,
      });
      done(t, "added");
    });
  backlog
    .command("list", { isDefault: true })
    .description("list the backlog")
    .option("-n, --limit <n>", "how many (1-1000)", limit, 50)
    .action(async (o: { limit: number }) => {
      const town = await ctx.town();
      const page = await listBacklog(town, { limit: o.limit });
      ctx.emit(page, () =>
        page.items.length === 0
          ? "the backlog is empty\n"
          : table(rows(page.items, new Map()), HEAD, paint) +
            (page.total > page.items.length ? paint("dim", `${page.items.length} of ${page.total}\n`) : ""),
      );
    });
  backlog
    .command("claim <agent>")
    .description("assign the first backlog task to an agent")
    .action(async (agent: string) => {
      const t = await claimTask(await ctx.town(), { agent, by: ctx.actor });
      if (!t)
        throw new CoreError("NOT_FOUND", 'the backlog is empty: nothing to claim (tt backlog add "<task>" adds one)');
      done(t, "claimed");
    });

  const task = program
    .command("task")
    .description("one task: show, cancel, retry, complete, fail, unassign, reassign; diff, review, merge, discard");
  registerReviewCommands(task, ctx);
  task
    .command("show <id>")
    .description("everything about a task, with its history")
    .action(async (id: string) => {
      const town = await ctx.town();
      const [{ task: t, history }, agentNames] = await Promise.all([taskDetail(town, id), names(town)]);
      const usage = await getTaskUsage(town, t.id);
      const who = (agentId: unknown) =>
        typeof agentId === "string" ? (agentNames.get(agentId) ?? agentId.slice(0, 8)) : "-";
      const running = t.state === "running";
      const ended = t.state === "completed" || t.state === "failed" || t.state === "cancelled";
      ctx.emit({ ...t, usage, history }, () =>
        [
          `${paint("bold", "Task")}      ${t.id}`,
          `${paint("bold", "State")}     ${paint(stateColour(t.state), t.state)} (version ${t.version}, ${t.attempts} attempt${t.attempts === 1 ? "" : "s"})`,
          `${paint("bold", "Priority")}  ${t.priority}${t.tags.length ? `   tags: ${t.tags.join(", ")}` : ""}`,
          `${paint("bold", "Agent")}     ${t.assignedTo ? `${who(t.assignedTo)} (${t.assignedTo.slice(0, 8)})` : "-"}`,
          `${paint("bold", "Created")}   ${new Date(t.createdAt).toISOString()} by ${safe(t.createdBy)}; updated ${ago(t.updatedAt)} by ${safe(t.updatedBy)}`,
          // A requeued task's startedAt is its last attempt's: say so rather than show it as started.
          ...(t.startedAt
            ? [
                running || ended
                  ? `${paint("bold", "Started")}   ${new Date(t.startedAt).toISOString()}`
                  : `${paint("bold", "Last run")}  started ${new Date(t.startedAt).toISOString()} (attempt ${t.attempts}); it did not finish: ${safe(t.error ?? "requeued")}`,
              ]
            : []),
          ...(t.completedAt && ended ? [`${paint("bold", "Ended")}     ${new Date(t.completedAt).toISOString()}`] : []),
          ...(usage.runs > 0
            ? [
                `${paint("bold", "Usage")}     ${formatUsageLine(usage.tokens, usage.usd)} over ${usage.runs} run${usage.runs === 1 ? "" : "s"}${usage.unpricedTokens ? paint("yellow", ` (${usage.unpricedTokens} tokens without a price)`) : ""}`,
              ]
            : []),
          ...(t.result !== null ? [`${paint("bold", "Result")}    ${safe(t.result)}`] : []),
          ...(t.error !== null && !(t.startedAt && !running && !ended)
            ? [`${paint("bold", "Error")}     ${paint("red", safe(t.error))}`]
            : []),
          "",
          safe(t.description).replace(/\\u000a/g, "\n"),
          "",
          paint("bold", "History"),
          ...history
            .slice(-20)
            .map(
              (e) =>
                `  ${new Date(e.at).toISOString().replace("T", " ").slice(0, 19)}  ${e.type.padEnd(15)} ${e.from ?? "∅"} → ${paint(stateColour(String(e.to)), String(e.to ?? ""))}  ${paint("dim", `by ${cell(e.by, 30)}`)}${e.agentId ? paint("dim", ` · ${cell(who(e.agentId), 64)}`) : ""}${typeof e.error === "string" && e.type !== "task.completed" ? paint("dim", ` · ${cell(e.error, 60)}`) : ""}`,
            ),
          ...(history.length > 20 ? [paint("dim", `  (${history.length - 20} earlier; --json has them all)`)] : []),
          "",
        ].join("\n"),
      );
    });
  const change = (
    name: string,
    description: string,
    fn: (town: Town, id: string, version?: number) => Promise<Task>,
    verb: string,
  ) =>
    task
      .command(`${name} [id]`)
      .description(description)
      .option(
        "--expect-version <n>",
        "refuse if the task changed since this version",
        int({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      )
      .action(async (id: string | undefined, o: { expectVersion?: number }) => {
        done(await fn(await ctx.town(), taskRef(ctx, id), o.expectVersion), verb);
      });
  change(
    "cancel",
    "cancel a pending, assigned or running task",
    (town, taskId, v) => cancelTask(town, { taskId, expectedVersion: v, by: ctx.actor }),
    "cancelled",
  );
  change(
    "retry",
    "put a failed or cancelled task back in the backlog",
    (town, taskId, v) => retryTask(town, { taskId, expectedVersion: v, by: ctx.actor }),
    "retried",
  );
  change(
    "unassign",
    "put an assigned (not yet running) task back in the backlog",
    (town, taskId, v) => unassignTask(town, { taskId, expectedVersion: v, by: ctx.actor }),
    "unassigned",
  );
  task
    .command("reassign <id> <agent>")
    .description("give an assigned or pending task to another agent")
    .action(async (id: string, agent: string) =>
      done(await assignTask(await ctx.town(), { taskId: id, agent, by: ctx.actor }), "reassigned"),
    );
  task
    .command("complete [id]")
    .description("mark a running task completed (agents call this to report; defaults to $TT_TASK)")
    .option("-r, --result <text>", "what was done", text)
    .action(async (id: string | undefined, o: { result?: string }) =>
      done(
        await completeTask(await ctx.town(), { taskId: taskRef(ctx, id), result: o.result, by: ctx.actor }),
        "completed",
      ),
    );
  task
    .command("fail [id]")
    .description("mark a running task failed (agents call this to report; defaults to $TT_TASK)")
    .requiredOption("-e, --error <text>", "why it failed", text)
    .action(async (id: string | undefined, o: { error: string }) =>
      done(await failTask(await ctx.town(), { taskId: taskRef(ctx, id), error: o.error, by: ctx.actor }), "failed"),
    );
}
