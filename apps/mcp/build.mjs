// Bundles the MCP server for `node bin/tt-mcp.mjs`. Workspace packages (@tinytown/core ships TypeScript source) are
// bundled in; npm dependencies stay external and are resolved from node_modules.
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
const external = Object.keys(pkg.dependencies ?? {}).filter((d) => !d.startsWith("@tinytown/"));

await build({
  entryPoints: ["src/bin.ts"],
  outfile: "dist/bin.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  // Subpath imports (@modelcontextprotocol/sdk/server/mcp.js) are external too.
  external: external.flatMap((d) => [d, `${d}/*`]),
  banner: { js: "// Built by build.mjs from src/; do not edit." },
});
