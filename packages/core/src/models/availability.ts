/**
 * Whether a model can run before anything is assigned to it: its CLI on this machine, and on the town's live
 * runners (each runner registers the models it can launch). Spawning with an uninstalled model is allowed (a runner
 * elsewhere may have it), but the caller can warn at once with the install hint instead of at the first failure.
 */
import { isAbsolute, resolve } from "node:path";
import type { Town } from "../town/town";
import { listRunners } from "../runners/registry";
import { commandOnPath } from "./command";
import { resolveModel, type ResolvedModel } from "./models";

export interface ModelAvailability {
  model: string;
  kind: ResolvedModel["kind"];
  label: string | null;
  /** The command agents of this model run (null for the simulated model). */
  command: string | null;
  /** Its CLI is installed on the machine that asked (on PATH, or an executable path). */
  installedHere: boolean;
  /** Live runners of the town, and how many of them can launch the model. */
  runners: { alive: number; able: number };
  /** It can run: simulated, a live runner can launch it, or (no runner alive yet) it is installed here. */
  ok: boolean;
  /** When it cannot run: what is missing and how to install it. */
  hint: string | null;
}

/** The install hint of a model: the preset's install command, or where a custom command must be. */
export function installHint(model: ResolvedModel): string {
  if (model.install) return `install ${model.label ?? model.name} with \`${model.install}\``;
  return `make \`${model.command}\` available (on PATH, or a path relative to the town directory) on every runner host`;
}

/** Checks a model of the town (throws VALIDATION for an unknown model, like spawnAgent). */
export async function modelAvailability(town: Town, name: string): Promise<ModelAvailability> {
  const model = resolveModel(town.config.models, name);
  const base = { model: model.name, kind: model.kind, label: model.label ?? null };
  if (model.kind === "simulated") {
    return {
      ...base,
      command: null,
      installedHere: true,
      runners: await runnerCounts(town, name),
      ok: true,
      hint: null,
    };
  }
  const command =
    town.dir && !isAbsolute(model.command) && model.command.includes("/")
      ? resolve(town.dir, model.cwd ?? ".", model.command)
      : model.command;
  const installedHere = commandOnPath(command);
  const runners = await runnerCounts(town, name);
  const ok = runners.able > 0 || (runners.alive === 0 && installedHere);
  let hint: string | null = null;
  if (!ok) {
    const where =
      runners.alive === 0
        ? "is not installed here"
        : `is not installed on any of the ${runners.alive} running runner(s)${installedHere ? " (it is here)" : ""}`;
    hint = `model ${model.name} needs \`${model.command}\`, which ${where}: ${installHint(model)}`;
  }
  return { ...base, command: model.command, installedHere, runners, ok, hint };
}

async function runnerCounts(town: Town, name: string): Promise<{ alive: number; able: number }> {
  const alive = (await listRunners(town)).filter((r) => r.alive);
  return { alive: alive.length, able: alive.filter((r) => r.models.includes(name)).length };
}
