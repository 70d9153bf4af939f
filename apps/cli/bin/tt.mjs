#!/usr/bin/env node
// The `tt` command. Runs the bundled CLI (dist/tt.js, built by `pnpm build`, which `npm start` and `npm test` do)
// through a V8 code cache (dist/tt.js.v8-cache, written by the first run and whenever Node rejects it), so that a
// command does not parse and compile the bundle again each time: `tt` starts like a small Node program. Inside an
// agent run (the runner set TT_AGENT_TOKEN) the small agent-mode bundle, dist/tt-agent.js, is enough.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";

const argv = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  process.stdout.write(`${JSON.parse(readFileSync(join(here, "..", "package.json"), "utf8")).version}\n`);
  process.exit(0);
}
const file = join(here, "..", "dist", process.env.TT_AGENT_TOKEN ? "tt-agent.js" : "tt.js");
let source;
try {
  source = readFileSync(file, "utf8");
} catch {
  process.stderr.write("tt is not built yet: run `npm start` or `pnpm build` in the Tinytown checkout\n");
  process.exit(1);
}
const cacheFile = `${file}.v8-cache`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
// The cache is only ever used for this exact source (V8 checks it), and lives next to the code it speeds up.
const script = new Script(Module.wrap(source), { filename: file, cachedData });
const bundle = { exports: {} };
script.runInThisContext()(bundle.exports, createRequire(file), bundle, file, dirname(file));
const code = await bundle.exports.main(argv);
if (cachedData === undefined || script.cachedDataRejected) {
  try {
    const tmp = `${cacheFile}.${process.pid}`;
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, cacheFile);
  } catch {
    // A read-only install runs without the cache.
  }
}
// Connections are closed by main(); exit explicitly so a lingering timer never keeps `tt` alive.
process.exit(code);
