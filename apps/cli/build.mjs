// Bundles the CLI (and the core it uses, which ships as TypeScript source) into one file for a fast start.
import { build } from "esbuild";

await build({
  entryPoints: ["src/bin.ts"],
  outfile: "dist/tt.js",
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
});
