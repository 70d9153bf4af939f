import { Command, CommanderError } from "commander";
import { AGENT_TOKEN_ENV, CoreError } from "@tinytown/core";
import { runAgent } from "./agent-program";
import { createCtx, type Ctx, type GlobalOptions } from "./context";
import { EXIT, EXIT_HELP, exitCodeFor } from "./exit-codes";
import { processIO, type IO } from "./output";
import { registerTownCommands } from "./commands/town";
import { registerAgentCommands } from "./commands/agent";
import { registerTaskCommands } from "./commands/task";
import { registerMessageCommands } from "./commands/message";
import { registerEventCommands } from "./commands/events";
import { registerUserCommands } from "./commands/user";
import { registerTokenCommands } from "./commands/token";
import { registerQueueCommands } from "./commands/queue";

export const VERSION = "0.1.0";

/** Builds the `tt` program; commands register themselves by noun. */
export function createProgram(ctx: Ctx): Command {
  const program = new Command("tt")
    .description("Tinytown: orchestrate AI coding agents through Redis")
    .version(VERSION)
    .option("--town <dir>", "the town directory (default: the nearest tinytown.json from here up)")
    .option("--json", "machine-readable output")
    .showSuggestionAfterError()
    .addHelpText("after", `\n${EXIT_HELP}\n\nStart with: tt init my-project && tt status`);
  registerTownCommands(program, ctx);
  registerAgentCommands(program, ctx);
  registerTaskCommands(program, ctx);
  registerMessageCommands(program, ctx);
  registerEventCommands(program, ctx);
  registerUserCommands(program, ctx);
  registerTokenCommands(program, ctx);
  registerQueueCommands(program, ctx);
  return program;
}

/** Runs `tt` with `argv` (without node and script) and returns the exit code; testable in-process. */
export async function run(argv: string[], io: IO = processIO()): Promise<number> {
  // Inside an agent run: only the agent's own commands, through the runner's agent API (never Redis).
  if (io.env[AGENT_TOKEN_ENV]) return runAgent(argv, io);
  const holder: { program?: Command } = {};
  const ctx = createCtx(io, () => holder.program?.opts<GlobalOptions>() ?? {});
  const program = createProgram(ctx);
  holder.program = program;
  program.exitOverride();
  program.configureOutput({ writeOut: io.out, writeErr: io.err });
  for (const cmd of allCommands(program)) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: io.out, writeErr: io.err });
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; usage mistakes are already printed by commander.
      return err.exitCode === 0 ? 0 : EXIT.USAGE;
    }
    const paint = ctx.paint;
    if (err instanceof CoreError) io.err(`${paint("red", "error:")} ${err.message}\n`);
    else io.err(`${paint("red", "internal error:")} ${(err as Error)?.stack ?? String(err)}\n`);
    return exitCodeFor(err);
  } finally {
    await ctx.close();
  }
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}
