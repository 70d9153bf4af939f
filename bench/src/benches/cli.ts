/**
 * B10: `tt` cold start. Agents call `tt` in their loop, so every command's start-up counts: `tt --version` and
 * `tt status` against a running managed town (its own redis-server on a unix socket, as `tt init` makes it), each
 * a fresh process, against the baseline of starting Node itself (`node -e 0`). The three are interleaved run by run.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { section, type BenchContext } from "../context";
import { ROOT } from "../lib/procs";
import { fmtMs, fmtPct, fmtX } from "../lib/report";
import { nowMs, summarizeRuns } from "../lib/stats";

const TT = join(ROOT, "apps/cli/bin/tt.mjs");

export async function b10CliColdStart(ctx: BenchContext): Promise<void> {
  const perRun = ctx.quick ? 10 : 30;
  const lines = section(ctx, "B10", "tt cold start");
  const dir = mkdtempSync(join(tmpdir(), "tt-bench-cli-"));
  // The town's own managed Redis, never the bench's: that is what `tt` talks to in a user's town.
  const env = { ...process.env, REDIS_URL: undefined, TT_TOWN_DIR: undefined, NO_COLOR: "1" };
  const tt = (...args: string[]) => spawnSync(process.execPath, [TT, ...args], { cwd: dir, env, encoding: "utf8" });
  try {
    const init = tt("init", "bench-cli");
    if (init.status !== 0) throw new Error(`tt init failed: ${init.stderr}`);
    const variants: [string, string[]][] = [
      ["node", ["-e", "0"]],
      ["version", [TT, "--version"]],
      ["status", [TT, "status"]],
    ];
    const time = (args: string[]) => {
      const t0 = nowMs();
      const r = spawnSync(process.execPath, args, { cwd: dir, env, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
      return nowMs() - t0;
    };
    // Warm the OS cache and write the CLI's V8 code cache (the first run of a build does that).
    for (let i = 0; i < 3; i++) for (const [, args] of variants) time(args);
    const runs: Record<string, number[][]> = { node: [], version: [], status: [] };
    for (let r = 0; r < ctx.runs; r++) {
      const one: Record<string, number[]> = { node: [], version: [], status: [] };
      for (let i = 0; i < perRun; i++) for (const [name, args] of variants) one[name]!.push(time(args));
      for (const k of Object.keys(one)) runs[k]!.push(one[k]!);
    }
    const node = summarizeRuns(runs.node!);
    const version = summarizeRuns(runs.version!);
    const status = summarizeRuns(runs.status!);
    lines.push(
      `Each measurement is a fresh process started with spawnSync, wall clock to exit; ${perRun} per variant per run, ${ctx.runs} runs, the three variants interleaved. The town is a managed one (\`tt init\`: its own redis-server on a unix socket, AOF always).`,
      `p50/p99: \`node -e 0\` ${fmtMs(node.p50)}/${fmtMs(node.p99)}; \`tt --version\` ${fmtMs(version.p50)}/${fmtMs(version.p99)}; \`tt status\` ${fmtMs(status.p50)}/${fmtMs(status.p99)}. Over Node's own start: --version +${fmtMs(version.p50 - node.p50)}, status +${fmtMs(status.p50 - node.p50)}.`,
      "How: bin/tt.mjs answers --version before loading anything; otherwise it runs one CommonJS bundle through a V8 code cache (dist/tt.js.v8-cache) and only the module of the command being run is evaluated (BullMQ only for commands that enqueue).",
    );
    ctx.rows.push({
      id: "B10",
      what: "tt cold start: --version, status (managed town)",
      ours: `${fmtMs(version.p50)}, ${fmtMs(status.p50)}`,
      baseline: `${fmtMs(node.p50)} (node -e 0)`,
      ratio: `${fmtX(version.p50 / node.p50)}, ${fmtX(status.p50 / node.p50)}`,
      p50p99: `${fmtMs(version.p50)}/${fmtMs(version.p99)}, ${fmtMs(status.p50)}/${fmtMs(status.p99)}`,
      spread: `${fmtPct(version.spreadPct)}, ${fmtPct(status.spreadPct)}`,
      target: "--version ≤ 60 ms, status ≤ 150 ms (p50)",
      met: version.p50 <= 60 && status.p50 <= 150 ? "yes" : "no",
    });
    ctx.log(`B10: node ${fmtMs(node.p50)}, tt --version ${fmtMs(version.p50)}, tt status ${fmtMs(status.p50)}`);
  } finally {
    tt("down");
    rmSync(dir, { recursive: true, force: true });
  }
}
