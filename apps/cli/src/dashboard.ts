/**
 * `tt ui`: the dashboard for the town `tt` runs in. How the dashboard process is launched lives in one function,
 * `launchDashboard`; the rest waits until it answers, prints the URL, and stops it on Ctrl-C.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CoreError } from "@tinytown/core";
import type { Ctx } from "./context";

/** The web app's package directory: TT_WEB_DIR, else `apps/web` of the checkout this CLI runs from. */
export function webDir(env: Record<string, string | undefined>): string {
  return env.TT_WEB_DIR ? resolve(env.TT_WEB_DIR) : fileURLToPath(new URL("../../web", import.meta.url));
}

export interface DashboardLaunch {
  webDir: string;
  townDir: string;
  host: string;
  port: number;
  env: Record<string, string | undefined>;
}

/**
 * Starts the dashboard's own server (`node <web>/server.mjs --host --port --town`, as apps/web/launch.mjs documents
 * it: the server decides open access from the address it really listens on), with the town in TT_TOWN_DIR. Fails
 * when the dashboard is not built.
 */
export function launchDashboard(o: DashboardLaunch): ChildProcess {
  const server = join(o.webDir, "server.mjs");
  if (!existsSync(join(o.webDir, ".next", "BUILD_ID")) || !existsSync(join(o.webDir, "dist", "server.js")))
    throw new CoreError(
      "NOT_FOUND",
      `the dashboard is not built (no ${join(o.webDir, ".next")} or ${join(o.webDir, "dist", "server.js")}): run \`pnpm build\` in the Tinytown checkout, then \`tt ui\` again`,
      { webDir: o.webDir },
    );
  const args = [server, "--host", o.host, "--port", String(o.port), "--town", o.townDir];
  return spawn(process.execPath, args, {
    cwd: o.webDir,
    env: { ...o.env, TT_TOWN_DIR: o.townDir, NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Serves the dashboard until Ctrl-C/SIGTERM (exit 130/143) or until it exits by itself (its exit code). */
export async function serveDashboard(
  ctx: Ctx,
  o: { townDir: string; host: string; port: number; readyTimeoutMs?: number },
): Promise<number> {
  const dir = webDir(ctx.io.env);
  const child = launchDashboard({ webDir: dir, townDir: o.townDir, host: o.host, port: o.port, env: ctx.io.env });
  const url = `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${o.port}`;
  let log = "";
  const keep = (d: Buffer) => void (log = (log + d.toString()).slice(-4000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number>((r) =>
    child.once("exit", (code, signal) => r(code ?? (signal === "SIGINT" ? 130 : 143))),
  );
  const offStop = ctx.onStop(() => child.kill("SIGTERM"));
  try {
    const until = Date.now() + (o.readyTimeoutMs ?? 60_000);
    let up = false;
    const state: { ended: number | null } = { ended: null };
    void exited.then((c) => (state.ended = c));
    while (!up && state.ended === null && Date.now() < until) {
      up = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (!up) await new Promise((r) => setTimeout(r, 200));
    }
    if (!up) {
      if (state.ended === null) child.kill("SIGTERM");
      if (ctx.exitCode !== undefined) return ctx.exitCode;
      throw new CoreError(
        "INTERNAL",
        `the dashboard did not come up at ${url}${state.ended !== null ? ` (it exited with ${state.ended})` : ""}:\n${log.trim()}`,
      );
    }
    ctx.emit(
      { url, town: o.townDir, pid: child.pid },
      () => `${ctx.paint("green", "✓")} dashboard for ${o.townDir}: ${url}  (Ctrl-C stops it)\n`,
    );
    // From here on, its output is the user's to see.
    child.stdout!.off("data", keep).on("data", (d: Buffer) => ctx.io.out(d.toString()));
    child.stderr!.off("data", keep).on("data", (d: Buffer) => ctx.io.err(d.toString()));
    return await exited;
  } finally {
    offStop();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
  }
}
