import { listRunners } from "../runners/registry";
import type { Town } from "../town/town";
import { modelNames, resolveModel, type ResolvedModel } from "./models";

export interface ModelInfo {
  name: string;
  kind: ResolvedModel["kind"];
  label: string;
  command: string;
  /** Ids of the live runners that can run it (the sim runs on every runner). */
  installedOn: string[];
}

/**
 * Every model of the town (presets, custom models from its config, the sim) and which runners can run it,
 * from the `models` each runner registers. Runners that stopped heartbeating are left out.
 */
export async function listModels(town: Town): Promise<ModelInfo[]> {
  const runners = (await listRunners(town)).filter((r) => r.alive);
  return modelNames(town.config.models).map((name) => {
    const m = resolveModel(town.config.models, name);
    return {
      name,
      kind: m.kind,
      label: m.label ?? name,
      command: m.command,
      installedOn: runners.filter((r) => m.kind === "simulated" || r.models.includes(name)).map((r) => r.id),
    };
  });
}
