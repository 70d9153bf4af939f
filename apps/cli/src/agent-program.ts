/**
 * `tt` inside an agent process (TT_AGENT_TOKEN set): the few commands an agent may run, each one call to the
 * runner's agent API with the run's credential — `tt task complete|fail|show` (its own task), `tt send` (as
 * itself), `tt inbox` (its own). Every other command is refused with exit 7: an agent has no Redis URL and no
 * way to change users, tokens, roles, other agents or other tasks. Flags and output match the full CLI.
 */
import { Command, CommanderError } from "commander";
import type { Message, Task } from "@tinytown/core";
import { CoreError } from "@tinytown/core/errors";
import { AgentClient } from "@tinytown/core/agent-api/client";
import { cliError, EXIT } from "./exit-codes";
import { ago, cell, painter, safe, stateColour, table, type IO } from "./output";

export const AGENT_REFUSAL =
  "agents may only report on their task, send messages, read their inbox and ask a human: " +
  "tt task complete|fail|show, tt send, tt inbox, tt ask";

const ALLOWED: Record<string, readonly string[] | true> = {
  task: ["complete", "fail", "show"],
  send: true,
  inbox: true,
  ask: true,
};

/** The command words of `argv` (after the global options), e.g. `["task", "complete"]` or `["user"]`. */
function commandWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    const a = argv[i]!;
    if (a === "--town") i++;
    else if (a.startsWith("-")) {
      if (words.length === 0 && a !== "--json" && !a.startsWith("--town=")) return words; // --help, --version
    } else words.push(a);
    if (words.length === 1 && words[0] !== "task") break;
  }
  return words;
}

function allowed(words: string[]): boolean {
  if (words.length === 0) return true;
  const rule = ALLOWED[words[0]!];
  if (rule === true) return true;
  return Array.isArray(rule) && (words[1] === undefined || rule.includes(words[1]));
}

function parseCount(what: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v.trim()) || n < min || n > max)
    throw new CoreError("VALIDATION", `${what} must be a number from ${min} to ${max}, not "${v}"`);
  return n;
}

/** Runs `tt` in agent mode; returns the exit code. */
export async function runAgent(argv: string[], io: IO): Promise<number> {
  const paint = painter(io);
  const fail = (code: number, msg: string) => {
    io.err(`${paint("red", "error:")} ${safe(msg)}\n`);
    return code;
  };
  const words = commandWords(argv);
  if (!allowed(words)) return fail(EXIT.FORBIDDEN, `${AGENT_REFUSAL} (\`tt ${words.join(" ")}\` is not one of them)`);

  let client: AgentClient | null;
  try {
    client = AgentClient.fromEnv(io.env);
  } catch (err) {
    return fail(EXIT.VALIDATION, (err as Error).message);
  }
  const api = client!;
  const program = new Command("tt")
    .description("Tinytown, inside an agent run: report on your task, send messages, read your inbox")
    .option("--town <dir>", "ignored inside an agent run (the runner's agent API serves this run)")
    .option("--json", "machine-readable output")
    .addHelpText("after", `\n${AGENT_REFUSAL}.`);
  const json = () => program.opts<{ json?: boolean }>().json === true;
  const emit = (data: unknown, human: () => string) => io.out(json() ? JSON.stringify(data, null, 2) + "\n" : human());
  const done = (t: Task, verb: string) =>
    emit(
      t,
      () =>
        `${paint("green", "✓")} ${verb} task ${paint("bold", t.id.slice(0, 8))}: ${paint(stateColour(t.state), t.state)} (version ${t.version})\n`,
    );

  const task = program.command("task").description("your task: show, complete, fail");
  task
    .command("show [id]")
    .description("your task (default: the one this run is for)")
    .action(async (id?: string) => {
      const t = await api.call("task.show", { task: id });
      emit(t, () =>
        [
          `${paint("bold", "Task")}      ${t.id}`,
          `${paint("bold", "State")}     ${paint(stateColour(t.state), t.state)} (version ${t.version}, attempt ${t.attempts})`,
          `${paint("bold", "Priority")}  ${t.priority}${t.tags.length ? `   tags: ${t.tags.join(", ")}` : ""}`,
          `${paint("bold", "Created")}   ${new Date(t.createdAt).toISOString()} by ${safe(t.createdBy)}`,
          "",
          safe(t.description).replace(/\\u000a/g, "\n"),
          "",
        ].join("\n"),
      );
    });
  task
    .command("complete [id]")
    .description("mark your task completed")
    .option("-r, --result <text>", "what was done")
    .action(async (id: string | undefined, o: { result?: string }) =>
      done(await api.call("task.complete", { task: id, result: o.result }), "completed"),
    );
  task
    .command("fail [id]")
    .description("mark your task failed")
    .requiredOption("-e, --error <text>", "why it failed")
    .action(async (id: string | undefined, o: { error: string }) =>
      done(await api.call("task.fail", { task: id, error: o.error }), "failed"),
    );

  program
    .command("send <to> <message...>")
    .description("send a message to an agent or the supervisor, as this agent")
    .option("--urgent", "urgent: read first, and interrupts the receiving agent's current run")
    .option("--high", "high priority")
    .option("--low", "low priority")
    .option("-t, --type <type>", "message type", "info")
    .option("--all", "broadcast to every agent (not available inside an agent run)")
    .action(
      async (
        to: string,
        words: string[],
        o: { urgent?: boolean; high?: boolean; low?: boolean; type: string; all?: boolean },
      ) => {
        if (o.all) throw new CoreError("FORBIDDEN", "agents cannot broadcast: send to one agent or the supervisor");
        const flags = (["urgent", "high", "low"] as const).filter((f) => o[f]);
        if (flags.length > 1) throw new CoreError("VALIDATION", "choose one of --urgent, --high, --low");
        const sent = await api.call("message.send", {
          to,
          body: words.join(" "),
          type: o.type as Message["type"],
          priority: flags[0] ?? "normal",
        });
        const m = sent.message;
        emit(
          m,
          () =>
            `${paint("green", "✓")} ${paint(stateColour(m.priority), m.priority)} ${m.type} message to ${sent.to}\n`,
        );
      },
    );

  program
    .command("inbox [agent]")
    .description("your inbox in the order it will be read")
    .option("--take", "take the messages out of the inbox")
    .option("-w, --wait <seconds>", "with --take: wait this long for a message if the inbox is empty")
    .option("-n, --limit <n>", "how many", "50")
    .action(async (ref: string | undefined, o: { take?: boolean; wait?: string; limit: string }) => {
      const self = [io.env.TT_AGENT, io.env.TT_AGENT_ID].filter(Boolean) as string[];
      if (ref !== undefined && !self.some((s) => s.toLowerCase() === ref.trim().toLowerCase()))
        throw new CoreError("FORBIDDEN", `agents may only read their own inbox, not "${ref}"`);
      const wait = parseCount("--wait", o.wait, 0, 600);
      const read = await api.call(
        "inbox.read",
        {
          take: o.take === true,
          limit: parseCount("--limit", o.limit, 1, 100),
          waitMs: o.take && wait ? Math.round(wait * 1000) : 0,
        },
        30_000 + (wait ?? 0) * 1000,
      );
      const msgs = read.messages;
      emit(msgs, () =>
        msgs.length === 0
          ? `${read.mailbox}'s inbox is empty\n`
          : table(
              msgs.map((m) => [
                paint(stateColour(m.priority), m.priority),
                m.type,
                cell(m.from, 20),
                ago(m.createdAt),
                cell(m.body, 80),
              ]),
              ["PRIORITY", "TYPE", "FROM", "SENT", "MESSAGE"],
              paint,
            ),
      );
    });

  program
    .command("ask <question...>")
    .description('ask the humans (their "Needs you" inbox); your task waits for the answer')
    .option("-o, --option <choice>", "a choice to offer (repeatable)", (v: string, acc: string[] = []) => [...acc, v])
    .action(async (words: string[], o: { option?: string[] }) => {
      // The longest a blocking ask may wait, plus room for the request itself.
      const r = await api.call("ask", { question: words.join(" "), options: o.option ?? [] }, 11 * 60_000);
      if (r.mode === "end-run")
        return emit(r, () =>
          [
            `${paint("green", "✓")} asked the humans (${r.need.id.slice(0, 10)}): your task now waits for their answer.`,
            "End your run now (exit 0): you will be started again with the answer in your prompt.",
            "",
          ].join("\n"),
        );
      if (r.answer === null)
        throw new CoreError("TIMEOUT", "no answer came in time; the question stays open: go on, or ask again later");
      emit(r, () => `${r.answer}\n`);
    });

  for (const cmd of [program, ...program.commands, ...task.commands]) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: io.out, writeErr: io.err });
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT.USAGE;
    const e = cliError(err);
    return fail(e.exit, e.stack ? `internal error: ${e.stack}` : e.message);
  }
}
