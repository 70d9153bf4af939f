/**
 * Turns a model spec and a prompt into what AgentProcess runs: command, argv (placeholders filled in one pass,
 * so text in the prompt is never re-interpreted), stdin or a prompt file, cwd relative to the town dir, and the
 * agent's environment: an allow-list of the runner's (never all of it), the run's credential for the agent API,
 * and `tt` on PATH. No REDIS_URL, no TT_TOWN_DIR: the agent reaches the town only through its credential.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { agentEnvironment, type ResolvedModel, type Town } from "@tinytown/core";
import { simCommand } from "../sim/sim";
import { ttBinDir } from "./tt-launcher";

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
  /** TT_API and TT_AGENT_TOKEN: the run's credential (AgentApi.issue). */
  credentialEnv: Record<string, string>;
  /** The runner's environment the allow-list is taken from (default: process.env). */
  runnerEnv?: NodeJS.ProcessEnv;
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
    ...agentEnvironment(model, input.runnerEnv ?? process.env),
    TT_TOWN: town.name,
    TT_AGENT: input.agentName,
    TT_AGENT_ID: input.agentId,
    TT_TASK: input.taskId,
    // Which runner started it: a runner taking over a lost run finds the leftover process by these two.
    TT_RUNNER: input.runnerId,
    ...input.credentialEnv,
  };
  // This checkout's `tt` first, so the agent reports with the CLI that speaks this runner's agent API.
  const tt = ttBinDir(stateDir(town));
  if (tt) env.PATH = [tt, env.PATH].filter(Boolean).join(delimiter);
  return { command: base.command, args, cwd, env, stdin: model.prompt === "stdin" ? prompt : undefined, promptFile };
}

export function cleanupLaunch(l: Launch): void {
  if (l.promptFile) rmSync(l.promptFile, { force: true });
}
