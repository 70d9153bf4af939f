// Runs the whole stack in the foreground: the town (its managed Redis), a runner, and the dashboard on
// http://127.0.0.1:3000. Ctrl-C stops what it started; the town's data stays in .tt/.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

import { webCommand } from "../apps/web/launch.mjs";
import { DEMO_REPO, ensureDemoRepo } from "./demo-repo.mjs";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const townDir = process.env.TT_TOWN_DIR ?? root;
// Where the dashboard listens: loopback unless you say otherwise (then it always requires sign-in).
const host = process.env.TT_WEB_HOST ?? "127.0.0.1";
const port = process.env.TT_WEB_PORT ?? process.env.PORT ?? "3000";
const tt = join(root, "apps/cli/bin/tt.mjs");
const env = { ...process.env, TT_TOWN_DIR: townDir, NEXT_TELEMETRY_DISABLED: "1" };

const ttSync = (...args) => spawnSync(process.execPath, [tt, "--town", townDir, ...args], { stdio: "inherit", env });

const ttQuiet = (...args) =>
  spawnSync(process.execPath, [tt, "--town", townDir, ...args], { stdio: ["ignore", "ignore", "inherit"], env });
if (!existsSync(join(townDir, "tinytown.json"))) {
  if (ttQuiet("init", "tinytown").status !== 0) process.exit(1);
  console.log(`Created the town "tinytown" in ${townDir} (tinytown.json; data in .tt/, git-ignored).`);
}
// The default town sits in Tinytown's own checkout: its tasks work in a demo repository of their own, never here.
if (!process.env.TT_TOWN_DIR && ensureDemoRepo(townDir) === "created")
  console.log(`Created a demo repository for the agents' tasks in ${join(townDir, DEMO_REPO)}.`);
// Brings the town's managed Redis up (also after `tt down`) before the runner and the dashboard connect to it.
if (ttQuiet("up", "--runners", "0").status !== 0) process.exit(1);

const children = new Map();
let stopping = false;

// Child output carries text from users and agents: controls made visible (as core's visibleText does), so no
// line can clear, recolour or rewrite this terminal. The children's own colour codes are shown as ␛ too.
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const visible = (s) =>
  s.replace(INVISIBLE, (ch) => (ch === "\u001b" ? "␛" : `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`));

function launch(name, cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env, cwd: opts.cwd ?? root });
  const tag = `\x1b[2m[${name}]\x1b[0m `;
  const pipe = (stream, out) => {
    let buf = "";
    stream.on("data", (d) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop();
      for (const l of lines) out.write(tag + visible(l) + "\n");
    });
  };
  pipe(child.stdout, process.stdout);
  pipe(child.stderr, process.stderr);
  children.set(name, child);
  child.on("exit", (code, signal) => {
    children.delete(name);
    if (stopping) return;
    console.error(`${tag}exited (${signal ?? code}); restarting in 1 s`);
    setTimeout(() => !stopping && launch(name, cmd, args, opts), 1000);
  });
  return child;
}

const runnerBin = join(root, "apps/runner/bin/tt-runner.mjs");
if (existsSync(runnerBin)) launch("runner", process.execPath, [runnerBin, "--town", townDir]);

const webDir = join(root, "apps/web");
const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
const web = existsSync(join(webDir, ".next")) && existsSync(join(webDir, "dist/server.js"));
if (web) {
  const { command, args } = webCommand({ host, port, town: townDir });
  launch("web", command, args, { cwd: webDir });
}

/** Waits (bounded) until the runner has registered and the dashboard answers, then shows where things stand. */
async function ready() {
  const until = Date.now() + 60_000;
  let runnerUp = false;
  let webUp = !web;
  while (Date.now() < until && !(runnerUp && webUp)) {
    if (!runnerUp) {
      const r = spawnSync(process.execPath, [tt, "--town", townDir, "--json", "status"], { encoding: "utf8", env });
      try {
        runnerUp = JSON.parse(r.stdout).runners.some((x) => x.alive);
      } catch {
        runnerUp = false;
      }
    }
    if (!webUp)
      webUp = await fetch(url).then(
        (r) => r.status < 500,
        () => false,
      );
    if (!(runnerUp && webUp)) await new Promise((r) => setTimeout(r, 250));
  }
  console.log("");
  ttSync("status");
  if (web)
    console.log(`  Dashboard: \x1b[1m${url}\x1b[0m${webUp ? "" : "  (not answering yet: see the [web] lines above)"}`);
  console.log(
    `  CLI:       tt spawn worker-1 --model sim · tt assign worker-1 "Add a health check" · tt logs worker-1 -f`,
  );
  console.log("  Ctrl-C stops the runner and the dashboard (the town's data stays in .tt/).\n");
}
void ready();

async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\nstopping (${signal})…`);
  const exits = [...children.values()].map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once("exit", r))));
  for (const c of children.values()) c.kill("SIGTERM");
  const timer = setTimeout(() => [...children.values()].forEach((c) => c.kill("SIGKILL")), 30_000);
  await Promise.all(exits);
  clearTimeout(timer);
  ttSync("down", "--keep-redis");
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
