#!/usr/bin/env node
// The dashboard: `node apps/web/server.mjs [--host 127.0.0.1] [--port 3000] [--town <dir>] [--dev]`.
// Runs dist/server.js, built from src/server/main.ts by `pnpm build` (next build + build.mjs).
import { existsSync } from "node:fs";

const bundle = new URL("./dist/server.js", import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write("tt-web: the dashboard is not built: run `pnpm build` (or `pnpm exec turbo run build`) first\n");
  process.exit(1);
}
const { main } = await import(bundle.href);
process.exit(await main(process.argv.slice(2)));
