/** Boot: parse the environment, connect to the town, start the runner, stop it cleanly on SIGTERM/SIGINT. */
import { connectTown, isCoreError, visibleText } from "@tinytown/core";
import { parseEnv, USAGE } from "./env";
import { createLogger } from "./log";
import { startRunner } from "./runner";
import { createShutdownManager } from "./shutdown";

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number | null> {
  let parsed;
  try {
    parsed = parseEnv(argv, env);
  } catch (err) {
    process.stderr.write(`tt-runner: ${visibleText((err as Error).message)}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  let town;
  try {
    town = await connectTown({ env: { ...env, TT_TOWN_DIR: parsed.townDir } });
  } catch (err) {
    process.stderr.write(`tt-runner: ${visibleText(isCoreError(err) ? err.message : String(err))}\n`);
    return 1;
  }
  const log = createLogger(parsed.logLevel, "[runner]");
  // A Redis reply lost in an outage must not take the runner down with the agents it hosts (the fault suite saw a
  // runner exit on an unawaited command's MaxRetriesPerRequestError): a failed promise nobody awaited is logged with
  // its stack, so its origin can be found, and the runner's loops retry what matters.
  process.on("unhandledRejection", (err) => {
    log.warn(`unhandled rejection, kept running: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  });
  const runner = await startRunner(town, { id: parsed.runnerId, logLevel: parsed.logLevel });
  const cfg = town.config.runner;
  const shutdown = createShutdownManager({
    timeoutMs: (cfg.shutdownGraceSec + cfg.killGraceSec) * 1000 + 15_000,
    log: (m) => log.warn(m),
  });
  shutdown.register("runner", async (signal) => {
    log.info(`${signal}: stopping runner ${runner.id}`);
    await runner.stop();
  });
  shutdown.register("town", () => town.close());
  log.info(`runner ${runner.id} serving town ${town.name}${town.dir ? ` (${town.dir})` : ""}`);
  return null;
}
