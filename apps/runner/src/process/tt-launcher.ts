/**
 * `tt` for agent processes, whether or not setup installed it globally: a small launcher script in the town's
 * state dir (`.tt/bin/tt`) that runs this checkout's CLI with this runner's Node. The CLI is found from the
 * runner's package (the `@tinytown/cli` package when it resolves, else the workspace sibling `apps/cli`), never
 * from a path written into git.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const RUNNER_PACKAGE = "@tinytown/runner";

/** The runner package's root: the nearest package.json named @tinytown/runner above this module. */
function runnerRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === RUNNER_PACKAGE) return dir;
      } catch {
        /* not ours: keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** The CLI's entry script (`bin/tt.mjs` of @tinytown/cli), or null when this runner has no CLI beside it. */
export function cliEntry(): string | null {
  const root = runnerRoot();
  if (!root) return null;
  try {
    const pkg = createRequire(join(root, "package.json")).resolve("@tinytown/cli/package.json");
    const entry = join(dirname(pkg), "bin", "tt.mjs");
    if (existsSync(entry)) return entry;
  } catch {
    /* not a dependency of the runner: the workspace layout below */
  }
  const sibling = join(root, "..", "cli", "bin", "tt.mjs");
  return existsSync(sibling) ? sibling : null;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The launcher's text: exec this Node on the CLI entry with the arguments it was given. */
export function launcherScript(node: string, entry: string): string {
  return [
    "#!/bin/sh",
    "# Written by the Tinytown runner: this checkout's tt, for agent processes. Rewritten at every runner start.",
    `exec ${shellQuote(node)} ${shellQuote(entry)} "$@"`,
    "",
  ].join("\n");
}

const written = new Map<string, string | null>();

/**
 * The directory holding the `tt` launcher for a town's state dir, written once per process (atomically, so
 * runners sharing a town never see half a file). Null when the CLI cannot be found or the file not written.
 */
export function ttBinDir(stateDir: string): string | null {
  const known = written.get(stateDir);
  if (known === null || (known && existsSync(join(known, "tt")))) return known;
  let dir: string | null = null;
  const entry = cliEntry();
  if (entry) {
    try {
      dir = join(stateDir, "bin");
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = join(dir, `.tt-${process.pid}-${Date.now()}.tmp`);
      writeFileSync(tmp, launcherScript(process.execPath, entry), { mode: 0o755 });
      renameSync(tmp, join(dir, "tt"));
    } catch {
      dir = null;
    }
  }
  written.set(stateDir, dir);
  return dir;
}
