// Bundles the dashboard's server (src/server/main.ts) into dist/server.js for `node server.mjs`. The workspace
// parts it uses (@tinytown/core/reach, /config, @tinytown/api/guard) ship as TypeScript and are bundled in; Next
// stays external and is loaded from node_modules.
import { build } from "esbuild";

await build({
  entryPoints: ["src/server/main.ts"],
  outfile: "dist/server.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  external: ["next", "next/*"],
  banner: {
    js: "// Built by build.mjs from src/server/main.ts; do not edit.\nimport { createRequire as __ttCreateRequire } from 'node:module'; const require = __ttCreateRequire(import.meta.url);",
  },
});
