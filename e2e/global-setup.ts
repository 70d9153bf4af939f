/**
 * Starts the stack the browser tests run against and returns the teardown:
 * a private redis-server on a free port → `tt init` of a town in a temp dir using it → a runner
 * (`tt-runner --town`) → the built dashboard (`node apps/web/server.mjs --port <free>` on loopback, TT_TOWN_DIR set).
 * Everything is stopped by PID afterwards. The URLs reach the tests through environment variables.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// Not `@tinytown/core/testing`: that entry also imports vitest.
import { freePort, startRedisServer } from "@tinytown/core/testing/redis-server";

const ROOT = resolve(import.meta.dirname, "..");
const TT = join(ROOT, "apps/cli/bin/tt.mjs");
const RUNNER = join(ROOT, "apps/runner/bin/tt-runner.mjs");
const WEB = join(ROOT, "apps/web");
/** The dashboard's server (apps/web/launch.mjs says the same): `node server.mjs --host H --port N`. */
export const WEB_SERVER = join(WEB, "server.mjs");

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  child: ChildProcess,
  log: string,
  ms = 60_000,
): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}; see ${log}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not become ready within ${ms / 1000} s; see ${log}`);
}

async function stop(child: ChildProcess | undefined, graceMs = 5_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(join(WEB, ".next/BUILD_ID")) || !existsSync(join(WEB, "dist/server.js")))
    throw new Error("apps/web is not built: run `pnpm build` (or `npm test`) first");
  for (const f of [TT.replace("bin/tt.mjs", "dist/tt.js"), RUNNER.replace("bin/tt-runner.mjs", "dist/index.js")]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`pnpm build\` first`);
  }

  const redis = await startRedisServer();
  const townDir = mkdtempSync(join(tmpdir(), "tt-e2e-town-"));
  // The sim agent runs 4 s (default 2 s) so that a test can see a task running and reload mid-run.
  const env = {
    ...process.env,
    REDIS_URL: redis.url,
    TT_TOWN_DIR: townDir,
    TT_SIM_MS: "4000",
    NEXT_TELEMETRY_DISABLED: "1",
    NO_COLOR: "1",
  };
  const init = spawnSync(process.execPath, [TT, "--town", townDir, "init", "e2e", "--redis-url", redis.url], {
    env,
    encoding: "utf8",
  });
  if (init.status !== 0) throw new Error(`tt init failed: ${init.stderr}${init.stdout}`);
  addFixtureModels(townDir);

  const children: ChildProcess[] = [];
  const runnerLog = join(townDir, "runner.log");
  const runner = spawn(process.execPath, [RUNNER, "--town", townDir], {
    env,
    stdio: ["ignore", openSync(runnerLog, "a"), openSync(runnerLog, "a")],
  });
  children.push(runner);

  const port = await freePort();
  const webLog = join(townDir, "web.log");
  // On loopback, so with no users the dashboard stays open to this machine (e2e/auth.spec.ts starts its own server
  // for sign-in, e2e/security.spec.ts its own for what is refused).
  const web = spawn(process.execPath, [WEB_SERVER, "--host", "127.0.0.1", "--port", String(port)], {
    cwd: WEB,
    env: { ...env, NODE_ENV: "production" },
    stdio: ["ignore", openSync(webLog, "a"), openSync(webLog, "a")],
  });
  children.push(web);

  const baseURL = `http://127.0.0.1:${port}`;
  try {
    await waitFor("the web app", async () => (await fetch(`${baseURL}/api/trpc/health.ping`)).ok, web, webLog);
    // The runner registers itself with the models it can run; wait until the town sees it.
    await waitFor(
      "the runner",
      async () => {
        const res = await fetch(`${baseURL}/api/trpc/town.models`);
        const body = (await res.json()) as { result?: { data?: { json?: { name: string; installedOn: string[] }[] } } };
        return (body.result?.data?.json ?? []).some((m) => m.name === "sim" && m.installedOn.length > 0);
      },
      runner,
      runnerLog,
    );
  } catch (err) {
    await Promise.all(children.map((c) => stop(c)));
    await redis.stop();
    throw err;
  }

  process.env.E2E_BASE_URL = baseURL;
  process.env.E2E_TOWN_DIR = townDir;
  process.env.E2E_REDIS_URL = redis.url;
  console.log(
    `e2e: web ${baseURL} (pid ${web.pid}), runner pid ${runner.pid}, redis ${redis.url} (pid ${redis.pid}), town ${townDir}`,
  );

  return async () => {
    // Web first (it holds subscriptions), then the runner (it finishes or requeues its runs), then Redis.
    await stop(web);
    await stop(runner, 15_000);
    await redis.stop();
    if (!process.env.E2E_KEEP_TOWN) rmSync(townDir, { recursive: true, force: true });
  };
}

/** Fixture agents as custom models of the e2e town (e2e/needs.spec.ts: `asker` asks a human with `tt ask`). */
function addFixtureModels(townDir: string): void {
  const file = join(townDir, "tinytown.json");
  const config = JSON.parse(readFileSync(file, "utf8")) as { models?: Record<string, unknown> };
  config.models = {
    ...config.models,
    asker: {
      command: process.execPath,
      args: [join(ROOT, "apps/runner/test/fixtures/ask.mjs")],
      prompt: "stdin",
      env: { FIXTURE_DIR: join(townDir, "fx") },
      label: "Fixture: asks a human",
    },
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
}
