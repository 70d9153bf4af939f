/**
 * Where the built-in `sim` agent lives. Bundled, it is `dist/sim-agent.js` beside the runner; from source
 * (tsx, vitest) it is `src/sim/sim-agent.ts`, run through tsx. Either way it is launched with this Node
 * binary, never a shell.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

export function simCommand(): { command: string; args: string[] } {
  const bundled = fileURLToPath(new URL("./sim-agent.js", import.meta.url));
  if (existsSync(bundled)) return { command: process.execPath, args: [bundled] };
  const source = fileURLToPath(new URL("./sim-agent.ts", import.meta.url));
  const tsx = createRequire(import.meta.url).resolve("tsx");
  return { command: process.execPath, args: ["--import", pathToFileURL(tsx).href, source] };
}
