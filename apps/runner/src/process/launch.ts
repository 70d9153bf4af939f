/**
 * Turns a model spec and a prompt into what AgentProcess runs: command, argv (placeholders filled in one pass,
 * so text in the prompt is never re-interpreted), stdin or a prompt file, cwd relative to the town dir, and the
 * agent's environment.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ResolvedModel, Town } from "@tinytown/core";
import { simCommand } from "../sim/sim";

export interface Launch {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdin?: string;
  /** A prompt file to remove after the run. */
  promptFile?: string;
}

/** The town's state dir (`.tt/`), or a per-town temp dir for a town reached only through REDIS_URL. */
export function stateDir(town: Town): string {
  return town.dir ? join(town.dir, ".tt") : join(tmpdir(), `tinytown-${town.name}`);
}

export function logFile(town: Town, taskId: string): string {
  return join(stateDir(town), "logs", `${taskId}.log`);
}

export function buildLaunch(input: {
  town: Town;
  model: ResolvedModel;
  prompt: string;
  agentName: string;
  agentId: string;
  taskId: string;
  attempt: number;
  runnerId: string;
}): Launch {
  const { town, model, prompt } = input;
  const base = model.kind === "simulated" ? simCommand() : { command: model.command, args: model.args };
  let promptFile: string | undefined;
  if (model.prompt === "file") {
    const dir = join(stateDir(town), "prompts");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    promptFile = join(dir, `${input.taskId}.${input.attempt}.md`);
    writeFileSync(promptFile, prompt, { mode: 0o600 });
  }
  const fill = (arg: string) =>
    arg.replace(/\{(promptFile|prompt)\}/g, (_m, name: string) =>
      name === "promptFile" ? (promptFile ?? "") : prompt,
    );
  let args = base.args.map(fill);
  if (model.prompt === "file" && !base.args.some((a) => a.includes("{promptFile}"))) args = [...args, promptFile!];
  if (model.prompt === "arg" && !base.args.some((a) => a.includes("{prompt}"))) args = [...args, prompt];
  const townDir = town.dir ?? process.cwd();
  const cwd = model.cwd ? (isAbsolute(model.cwd) ? model.cwd : resolve(townDir, model.cwd)) : townDir;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...model.env,
    TT_TOWN: town.name,
    TT_AGENT: input.agentName,
    TT_AGENT_ID: input.agentId,
    TT_TASK: input.taskId,
    // Which runner started it: a runner taking over a lost run finds the leftover process by these two.
    TT_RUNNER: input.runnerId,
    REDIS_URL: town.redisUrl,
  };
  const tt = ttBinDir();
  if (tt) env.PATH = [tt, env.PATH].filter(Boolean).join(delimiter);
  if (town.dir) env.TT_TOWN_DIR = town.dir;
  else delete env.TT_TOWN_DIR;
  return { command: base.command, args, cwd, env, stdin: model.prompt === "stdin" ? prompt : undefined, promptFile };
}

/**
 * The directory of the checkout's `tt` command, so the prompt's `tt task complete …` works inside an agent
 * process even where `tt` is not installed globally. Found relative to this file (bundled in dist/ or run
 * from src/), or from TT_CLI_BIN_DIR.
 */
export function ttBinDir(): string | null {
  if (process.env.TT_CLI_BIN_DIR) return process.env.TT_CLI_BIN_DIR;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "cli", "bin");
    if (existsSync(join(candidate, "tt"))) return candidate;
    dir = dirname(dir);
  }
  return null;
}

export function cleanupLaunch(l: Launch): void {
  if (l.promptFile) rmSync(l.promptFile, { force: true });
}
