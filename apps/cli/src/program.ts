import { Command, CommanderError } from "commander";
import { AGENT_TOKEN_ENV } from "@tinytown/core/agent-api";
import { createCtx, type Ctx, type GlobalOptions } from "./context";
import { cliError, EXIT_HELP } from "./exit-codes";
import { processIO, safe, type IO } from "./output";
import { VERSION } from "./version";

export { VERSION };

type Register = (program: Command, ctx: Ctx) => void;

/**
 * The commands of each noun module (`commands/<noun>.ts`). A run loads only the module of the command it runs, so a
 * command never pays for the others' imports (BullMQ, the auth code…); help and unknown commands load them all.
 * A test checks this table against what the modules register.
 */
export const NOUNS: { commands: readonly string[]; load: () => Promise<Register> }[] = [
  {
    commands: ["init", "status", "models", "up", "down", "ui"],
    load: async () => (await import("./commands/town")).registerTownCommands,
  },
  {
    commands: ["spawn", "list", "agents", "kill", "interrupt", "resume", "close", "restart", "prune", "wait"],
    load: async () => (await import("./commands/agent")).registerAgentCommands,
  },
  {
    commands: ["assign", "tasks", "backlog", "task"],
    load: async () => (await import("./commands/task")).registerTaskCommands,
  },
  { commands: ["send", "inbox"], load: async () => (await import("./commands/message")).registerMessageCommands },
  { commands: ["logs", "events"], load: async () => (await import("./commands/events")).registerEventCommands },
  { commands: ["user"], load: async () => (await import("./commands/user")).registerUserCommands },
  { commands: ["token"], load: async () => (await import("./commands/token")).registerTokenCommands },
  { commands: ["queue"], load: async () => (await import("./commands/queue")).registerQueueCommands },
  { commands: ["budget"], load: async () => (await import("./commands/budget")).registerBudgetCommands },
  {
    commands: ["workspace"],
    load: async () => (await import("./commands/workspace")).registerWorkspaceCommands,
  },
  { commands: ["needs"], load: async () => (await import("./commands/needs")).registerNeedsCommands },
];

/** The command word of `argv` (skipping global options; `help <cmd>` names <cmd>), or null. */
export function commandWord(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--town") i++;
    else if (a === "--") return argv[i + 1] ?? null;
    else if (!a.startsWith("-")) return a === "help" ? (argv.slice(i + 1).find((x) => !x.startsWith("-")) ?? null) : a;
  }
  return null;
}

/**
 * Builds the `tt` program; commands register themselves by noun. With `argv`, only the noun module of the command
 * it runs is loaded (all of them when it names none, or one that does not exist, so that help and suggestions work).
 */
export async function createProgram(ctx: Ctx, argv?: readonly string[]): Promise<Command> {
  const program = new Command("tt")
    .description("Tinytown: orchestrate AI coding agents through Redis")
    .version(VERSION)
    .option("--town <dir>", "the town directory (default: the nearest tinytown.json from here up)")
    .option("--json", "machine-readable output (errors too: JSON on stderr)")
    .showSuggestionAfterError()
    .addHelpText("after", `\n${EXIT_HELP}\n\nStart with: tt init my-project && tt status`);
  const word = argv ? commandWord(argv) : null;
  const only = word ? NOUNS.find((n) => n.commands.includes(word)) : undefined;
  for (const noun of only ? [only] : NOUNS) (await noun.load())(program, ctx);
  return program;
}

/** Runs `tt` with `argv` (without node and script) and returns the exit code; testable in-process. */
export async function run(argv: string[], io: IO = processIO()): Promise<number> {
  // Inside an agent run: only the agent's own commands, through the runner's agent API (never Redis).
  if (io.env[AGENT_TOKEN_ENV]) return (await import("./agent-program")).runAgent(argv, io);
  const holder: { program?: Command } = {};
  const ctx = createCtx(io, () => holder.program?.opts<GlobalOptions>() ?? {});
  // --json is known before parsing, so that even a usage error is reported as JSON.
  const json = argv.includes("--json");
  const program = await createProgram(ctx, argv);
  holder.program = program;
  for (const cmd of [program, ...allCommands(program)]) {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      outputError: (str, write) => (json ? undefined : write(str)),
    });
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return ctx.exitCode ?? 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; usage mistakes are printed by commander (as JSON under --json, here).
      if (err.exitCode === 0) return 0;
      if (json)
        io.err(JSON.stringify({ error: { code: "USAGE", message: err.message.replace(/^error: /, "") } }) + "\n");
      return cliError(err).exit;
    }
    const e = cliError(err);
    if (json) io.err(JSON.stringify({ error: { code: e.code, message: e.message, details: e.details } }) + "\n");
    else if (e.code === "INTERNAL") io.err(`${ctx.paint("red", "internal error:")} ${e.stack ?? e.message}\n`);
    else io.err(`${ctx.paint("red", "error:")} ${safe(e.message)}\n`);
    return e.exit;
  } finally {
    await ctx.close();
  }
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}
