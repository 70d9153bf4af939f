/**
 * Makes sure the runner and CLI bundles the suite spawns are built and current (a fresh clone has none; turbo's
 * `^build` normally did it already), then collects every scenario's figures and prints the totals at the end.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import type {} from "../src/report";
import { SIZE_NAME } from "../src/size";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name === "dist" || e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds `app` when its bundle is missing or older than its sources or core's. */
function ensureBuilt(app: string, bundle: string): void {
  const dir = join(ROOT, app);
  const out = join(dir, bundle);
  const sources = Math.max(newestMtime(join(dir, "src")), newestMtime(join(ROOT, "packages/core/src")));
  if (existsSync(out) && statSync(out).mtimeMs >= sources) return;
  execFileSync(process.execPath, ["build.mjs"], { cwd: dir, stdio: "inherit" });
}

/** Kills (by PID) any redis-server or runner the suite started that is still running; returns what it stopped. */
function stopLeftovers(file: string): string[] {
  if (!existsSync(file)) return [];
  const stopped: string[] = [];
  for (const line of readFileSync(file, "utf8").split("\n").filter(Boolean)) {
    const { pid, what } = JSON.parse(line) as { pid: number; what: string };
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    // Only our own process (a recycled pid runs something else).
    if (!cmdline.includes(what)) continue;
    try {
      process.kill(pid, "SIGKILL");
      stopped.push(`${what} ${pid}`);
    } catch {
      // already gone
    }
  }
  return stopped;
}

export default function setup(project: TestProject) {
  ensureBuilt("apps/runner", "dist/index.js");
  ensureBuilt("apps/cli", "dist/tt.js");
  const dir = mkdtempSync(join(tmpdir(), "tt-faults-results-"));
  const results = join(dir, "results.jsonl");
  writeFileSync(results, "");
  project.provide("faultsResults", results);
  const started = Date.now();
  return () => {
    const rows = readFileSync(results, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, number | string>);
    const sum = (k: string) => rows.reduce((n, r) => n + (typeof r[k] === "number" ? r[k] : 0), 0);
    const totals = {
      size: SIZE_NAME,
      scenarios: rows.length,
      runs: sum("runs"),
      kills: sum("kills"),
      tasks: sum("tasks"),
      messages: sum("messages"),
      reruns: sum("reruns"),
      losses: sum("losses"),
      orphans: sum("orphans"),
      seconds: Math.round((Date.now() - started) / 1000),
    };
    const leaked = stopLeftovers(join(dir, "pids.jsonl"));
    if (leaked.length)
      console.log(
        `fault suite: stopped ${leaked.length} process(es) a failed scenario left running: ${leaked.join(", ")}`,
      );
    const out = join(ROOT, "tests/faults/results");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `${SIZE_NAME}.json`), JSON.stringify({ totals, scenarios: rows }, null, 2) + "\n");
    console.log(`\nfault suite (${SIZE_NAME}): ${JSON.stringify(totals)}`);
    rmSync(dir, { recursive: true, force: true });
  };
}
