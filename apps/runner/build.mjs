// Bundles the runner (and the sim agent) for `node bin/tt-runner.mjs`. Workspace packages (@tinytown/core ships
// TypeScript source) are bundled in; npm dependencies stay external and are resolved from node_modules.
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
const external = Object.keys(pkg.dependencies ?? {}).filter((d) => !d.startsWith("@tinytown/"));

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  external,
};
await build({
  ...common,
  entryPoints: ["src/index.ts"],
  outfile: "dist/index.js",
  banner: { js: "// Built by build.mjs from src/; do not edit." },
});
await build({ ...common, entryPoints: ["src/sim/sim-agent.ts"], outfile: "dist/sim-agent.js" });
