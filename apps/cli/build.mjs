// Bundles the CLI (and the core it uses, which ships as TypeScript source) into one file for a fast start, and
// the agent-mode CLI (bin/tt.mjs runs it when TT_AGENT_TOKEN is set) into another.
import { build } from "esbuild";

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
  external: ["ioredis", "bullmq"],
  banner: {
    js: "import { createRequire as __ttCreateRequire } from 'node:module'; const require = __ttCreateRequire(import.meta.url);",
  },
  logLevel: "warning",
};
await build({ ...common, entryPoints: ["src/bin.ts"], outfile: "dist/tt.js" });
// `tt` inside an agent run talks to the runner's agent API only: a bundle without Redis or BullMQ in it.
await build({ ...common, entryPoints: ["src/agent-bin.ts"], outfile: "dist/tt-agent.js" });
