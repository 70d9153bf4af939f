// Bundles the CLI (and the core it uses, which ships as TypeScript source) into one CommonJS file, dist/tt.js,
// that bin/tt.mjs compiles through a V8 code cache, and the agent-mode CLI into dist/tt-agent.js. Modules reached by
// `import()` (each command's noun module, BullMQ) are wrapped and only evaluated when a command needs them.
import { rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

/**
 * Core's modules (and BullMQ's) only declare things at import time: marking them free of side effects lets esbuild
 * leave out what no command uses and bind each import to the module that defines it.
 */
const PURE = /\/packages\/core\/src\/|\/node_modules\/bullmq\/dist\/esm\//;
const pure = {
  name: "pure-modules",
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === "pure" || args.kind === "entry-point") return undefined;
      const r = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: "pure",
      });
      // Anything else (and what does not resolve: optional requires in try/catch) is left to esbuild.
      return r.errors.length === 0 && PURE.test(r.path) ? { ...r, sideEffects: false } : undefined;
    });
  },
};

rmSync("dist", { recursive: true, force: true });
/** CommonJS in a .js file of an ESM package: only bin/tt.mjs loads these bundles (through node:vm, not Node's loader). */
const common = {
  bundle: true,
  minify: true,
  platform: "node",
  // ES modules where a package has both (BullMQ): they tree-shake, and are wrapped to be evaluated on first use.
  mainFields: ["module", "main"],
  target: "node20",
  format: "cjs",
  sourcemap: "linked",
  plugins: [pure],
  define: { "import.meta.url": "__ttModuleUrl" },
  banner: { js: "const __ttModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: "warning",
  metafile: Boolean(process.env.TT_BUILD_META),
};
const result = await build({ ...common, entryPoints: ["src/bin.ts"], outfile: "dist/tt.js" });
// `tt` inside an agent run talks to the runner's agent API only: a bundle without Redis or BullMQ in it.
await build({ ...common, entryPoints: ["src/agent-bin.ts"], outfile: "dist/tt-agent.js" });
// TT_BUILD_META=1 node build.mjs: what the bundle holds (for cold-start work).
if (result.metafile) writeFileSync("dist/meta.json", JSON.stringify(result.metafile));
