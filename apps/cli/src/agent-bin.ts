/** The `tt` bundle for agent processes (bin/tt.mjs picks it when TT_AGENT_TOKEN is set): no Redis client in it. */
import { runAgent } from "./agent-program";
import { processIO } from "./output";

process.exit(await runAgent(process.argv.slice(2), processIO()));
