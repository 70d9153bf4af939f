import type { Command } from "commander";
import {
  assignTask,
  cancelTask,
  claimTask,
  completeTask,
  CoreError,
  createTask,
  failTask,
  getTask,
  listAgents,
  listBacklog,
  listTasks,
  resolveAgent,
  retryTask,
  unassignTask,
  Priority,
  TaskState,
  type Task,
  type Town,
} from "@tinytown/core";
import type { Ctx } from "../context";
import { ago, cell, safe, stateColour, table } from "../output";

const PRIORITY_HELP = `priority: ${Priority.options.join(", ")}`;

function parsePriority(p: string | undefined): Priority | undefined {
  if (p === undefined) return undefined;
  const r = Priority.safeParse(p);
  if (!r.success)
    throw new CoreError("VALIDATION", `unknown priority "${p}": use one of ${Priority.options.join(", ")}`);
  return r.data;
}

function parseState(s: string | undefined): TaskState | undefined {
  if (s === undefined) return undefined;
  const r = TaskState.safeParse(s);
  if (!r.success)
    throw new CoreError("VALIDATION", `unknown task state "${s}": use one of ${TaskState.options.join(", ")}`);
  return r.data;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

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
      cell(t.description, 70),
    ]);
  const HEAD = ["ID", "STATE", "PRIORITY", "AGENT", "UPDATED", "TASK"];
  const done = (t: Task, verb: string) =>
    ctx.emit(
      t,
      () =>
        `${paint("green", "✓")} ${verb} task ${paint("bold", t.id.slice(0, 8))}: ${paint(stateColour(t.state), t.state)} (version ${t.version})\n`,
    );

  program
    .command("assign <agent> <task...>")
    .description("create a task and assign it to an agent")
    .option("-p, --priority <priority>", PRIORITY_HELP, "normal")
    .option("--tag <tag>", "tag the task (repeatable)", collect)
    .action(async (agent: string, words: string[], o: { priority?: string; tag?: string[] }) => {
      const town = await ctx.town();
      const t = await createTask(town, {
        description: words.join(" "),
        priority: parsePriority(o.priority),
        tags: o.tag,
        assignTo: agent,
        by: ctx.actor,
      });
      const a = await resolveAgent(town, agent);
      ctx.emit(
        t,
        () => `${paint("green", "✓")} task ${paint("bold", t.id.slice(0, 8))} assigned to ${a.name} (${t.priority})\n`,
      );
    });

  program
    .command("tasks")
    .description("list tasks, newest first")
    .option("-s, --state <state>", `only this state (${TaskState.options.join(", ")})`)
    .option("-a, --agent <agent>", "only this agent's tasks")
    .option("-n, --limit <n>", "how many", "50")
    .option("--offset <n>", "skip this many", "0")
    .action(async (o: { state?: string; agent?: string; limit: string; offset: string }) => {
      const town = await ctx.town();
      const page = await listTasks(town, {
        state: parseState(o.state),
        agent: o.agent,
        limit: Number(o.limit),
        offset: Number(o.offset),
      });
      const agentNames = await names(town);
      ctx.emit(page, () =>
        page.items.length === 0
          ? "no tasks\n"
          : table(rows(page.items, agentNames), HEAD, paint) +
            (page.total > page.items.length ? paint("dim", `${page.items.length} of ${page.total}\n`) : ""),
      );
    });

  const backlog = program.command("backlog").description("pending tasks nobody has yet, by priority then age");
  backlog
    .command("add <task...>")
    .description("add a task to the backlog")
    .option("-p, --priority <priority>", PRIORITY_HELP, "normal")
    .option("--tag <tag>", "tag the task (repeatable)", collect)
    .action(async (words: string[], o: { priority?: string; tag?: string[] }) => {
      const t = await createTask(await ctx.town(), {
        description: words.join(" "),
        priority: parsePriority(o.priority),
        tags: o.tag,
        by: ctx.actor,
      });
      done(t, "added");
    });
  backlog
    .command("list", { isDefault: true })
    .description("list the backlog")
    .option("-n, --limit <n>", "how many", "50")
    .action(async (o: { limit: string }) => {
      const town = await ctx.town();
      const page = await listBacklog(town, { limit: Number(o.limit) });
      ctx.emit(page, () =>
        page.items.length === 0 ? "the backlog is empty\n" : table(rows(page.items, new Map()), HEAD, paint),
      );
    });
  backlog
    .command("claim <agent>")
    .description("assign the first backlog task to an agent")
    .action(async (agent: string) => {
      const t = await claimTask(await ctx.town(), { agent, by: ctx.actor });
      if (!t) return ctx.emit(null, () => "the backlog is empty\n");
      done(t, "claimed");
    });

  const task = program.command("task").description("one task: show, cancel, retry, complete, fail, unassign, reassign");
  task
    .command("show <id>")
    .description("everything about a task")
    .action(async (id: string) => {
      const town = await ctx.town();
      const t = await getTask(town, id);
      const agentNames = await names(town);
      ctx.emit(t, () =>
        [
          `${paint("bold", "Task")}      ${t.id}`,
          `${paint("bold", "State")}     ${paint(stateColour(t.state), t.state)} (version ${t.version}, ${t.attempts} attempt${t.attempts === 1 ? "" : "s"})`,
          `${paint("bold", "Priority")}  ${t.priority}${t.tags.length ? `   tags: ${t.tags.join(", ")}` : ""}`,
          `${paint("bold", "Agent")}     ${t.assignedTo ? `${agentNames.get(t.assignedTo) ?? "?"} (${t.assignedTo.slice(0, 8)})` : "-"}`,
          `${paint("bold", "Created")}   ${new Date(t.createdAt).toISOString()} by ${safe(t.createdBy)}; updated ${ago(t.updatedAt)} by ${safe(t.updatedBy)}`,
          ...(t.startedAt ? [`${paint("bold", "Started")}   ${new Date(t.startedAt).toISOString()}`] : []),
          ...(t.completedAt ? [`${paint("bold", "Ended")}     ${new Date(t.completedAt).toISOString()}`] : []),
          ...(t.result !== null ? [`${paint("bold", "Result")}    ${safe(t.result)}`] : []),
          ...(t.error !== null ? [`${paint("bold", "Error")}     ${paint("red", safe(t.error))}`] : []),
          "",
          safe(t.description).replace(/\\u000a/g, "\n"),
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
      .option("--expect-version <n>", "refuse if the task changed since this version")
      .action(async (id: string | undefined, o: { expectVersion?: string }) => {
        done(
          await fn(
            await ctx.town(),
            taskRef(ctx, id),
            o.expectVersion === undefined ? undefined : Number(o.expectVersion),
          ),
          verb,
        );
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
    .option("-r, --result <text>", "what was done")
    .action(async (id: string | undefined, o: { result?: string }) =>
      done(
        await completeTask(await ctx.town(), { taskId: taskRef(ctx, id), result: o.result, by: ctx.actor }),
        "completed",
      ),
    );
  task
    .command("fail [id]")
    .description("mark a running task failed (agents call this to report; defaults to $TT_TASK)")
    .requiredOption("-e, --error <text>", "why it failed")
    .action(async (id: string | undefined, o: { error: string }) =>
      done(await failTask(await ctx.town(), { taskId: taskRef(ctx, id), error: o.error, by: ctx.actor }), "failed"),
    );
}
