#!/usr/bin/env node
// The `tt` command. Runs the bundled CLI (built by `pnpm build`, which `npm start` and `npm test` do).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// Inside an agent run (the runner set TT_AGENT_TOKEN) the small agent-mode bundle is enough.
const bundle = process.env.TT_AGENT_TOKEN ? "../dist/tt-agent.js" : "../dist/tt.js";
const dist = fileURLToPath(new URL(bundle, import.meta.url));
if (!existsSync(dist)) {
  process.stderr.write("tt is not built yet: run `npm start` or `pnpm build` in the Tinytown checkout\n");
  process.exit(1);
}
await import(dist);
