/**
 * The `tt` bundle for agent processes (dist/tt-agent.js; bin/tt.mjs picks it when TT_AGENT_TOKEN is set): no Redis
 * client in it.
 */
import { runAgent } from "./agent-program";
import { processIO } from "./output";

/** Runs agent-mode `tt` with `argv` and resolves to its exit code. */
export async function main(argv: string[]): Promise<number> {
  return runAgent(argv, processIO());
}
