/**
 * This runner in the town's registry (core runners/registry.ts): registered with the models it can launch,
 * heartbeating while it runs (its running tasks count as lost without it), unregistered when it stops.
 */
import {
  commandOnPath,
  heartbeatRunner,
  modelNames,
  registerRunner,
  resolveModel,
  unregisterRunner,
  type Town,
} from "@tinytown/core";
import type { RunnerContext } from "./context";

export async function register(ctx: RunnerContext): Promise<void> {
  await registerRunner(ctx.town, { id: ctx.id, host: ctx.host, pid: process.pid, models: runnableModels(ctx.town) });
}

export const heartbeat = (ctx: RunnerContext) => heartbeatRunner(ctx.town, ctx.id);

export const unregister = (ctx: RunnerContext) => unregisterRunner(ctx.town, ctx.id);

/** Models this runner can launch: the simulated one, the town's custom models and presets whose command is on PATH. */
function runnableModels(town: Town): string[] {
  return modelNames(town.config.models).filter((name) => {
    const m = resolveModel(town.config.models, name);
    return m.kind !== "preset" || commandOnPath(m.command);
  });
}
