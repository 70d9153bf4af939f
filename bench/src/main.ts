/**
 * `pnpm bench [--quick] [--only B1,B4,…] [--persistence=none,aof]`: every benchmark against its raw baseline on
 * private redis-servers started here — once without persistence, once with AOF as a town's managed Redis ships —
 * a table on stdout and bench/RESULTS.md. Everything started is stopped by PID at the end.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { type BenchContext } from "./context";
import { b1Latency, b2Priority, b3Throughput } from "./benches/channel";
import { b4Dispatch, b5Throughput, scaleOut } from "./benches/dispatch";
import { b6FanOut } from "./benches/fanout";
import { b7Listing } from "./benches/listing";
import { b8Soak } from "./benches/soak";
import { b9Board } from "./benches/board";
import { b10CliColdStart } from "./benches/cli";
import { BENCH, stopAll } from "./lib/procs";
import { MANAGED_APPENDFSYNC, startBenchRedis, type BenchRedis, type Persistence } from "./lib/redis";
import { markdownTable, terminalTable } from "./lib/report";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const onlyArg = argv.find((a) => a.startsWith("--only"));
const only = onlyArg
  ? (onlyArg.includes("=") ? onlyArg.split("=")[1]! : (argv[argv.indexOf(onlyArg) + 1] ?? "")).toUpperCase().split(",")
  : null;
const skipArg = argv.find((a) => a.startsWith("--skip="));
const skip = skipArg ? skipArg.split("=")[1]!.toUpperCase().split(",") : [];
const persistArg = argv.find((a) => a.startsWith("--persistence="));
/** Every bench runs on each: without persistence, and with AOF as a town's managed Redis ships it. */
const PERSISTENCE: Persistence[] = persistArg
  ? (persistArg.split("=")[1]!.split(",") as Persistence[])
  : ["none", "aof"];
/** Benches that do not use the bench's Redis (B10 starts a managed town of its own): run once. */
const OWN_REDIS = new Set(["B10"]);

const BENCHES: [string, (ctx: BenchContext) => Promise<void>][] = [
  ["B1", b1Latency],
  ["B2", b2Priority],
  ["B3", b3Throughput],
  ["B4", b4Dispatch],
  ["B5", b5Throughput],
  ["SCALE", scaleOut],
  ["B6", b6FanOut],
  ["B7", b7Listing],
  ["B8", b8Soak],
  ["B9", b9Board],
  ["B10", b10CliColdStart],
];

async function main(): Promise<void> {
  const started = Date.now();
  const ctx: BenchContext = {
    redis: undefined as unknown as BenchRedis,
    quick,
    runs: quick ? 1 : 3,
    rows: [],
    sections: [],
    log: (m) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}`),
  };
  const failures: string[] = [];
  let version = "?";
  for (const [i, persistence] of PERSISTENCE.entries()) {
    const redis = await startBenchRedis(persistence);
    ctx.redis = redis;
    version = redis.version;
    const label = persistence === "aof" ? `AOF ${MANAGED_APPENDFSYNC}` : "";
    ctx.log(
      `redis-server ${redis.version} (pid ${redis.pid}) on ${redis.tcpUrl} and ${redis.socket}; ${persistence === "aof" ? `AOF appendfsync ${MANAGED_APPENDFSYNC} (as a managed town ships)` : "no persistence"}; ${quick ? "quick" : "full"} run`,
    );
    const firstRow = ctx.rows.length;
    const firstSection = ctx.sections.length;
    try {
      for (const [id, fn] of BENCHES) {
        if ((only && !only.includes(id)) || skip.includes(id)) continue;
        if (i > 0 && OWN_REDIS.has(id)) continue;
        ctx.log(`${id}${label ? ` (${label})` : ""} …`);
        const t0 = Date.now();
        try {
          await fn(ctx);
        } catch (err) {
          const msg = `${id}${label ? ` (${label})` : ""} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
          failures.push(msg);
          console.error(msg);
          ctx.rows.push({
            id,
            what: "did not complete",
            ours: "—",
            baseline: "—",
            ratio: "—",
            p50p99: "—",
            spread: "—",
            target: "—",
            met: "no",
          });
        }
        ctx.log(`${id} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
    } finally {
      await stopAll();
      await redis.stop();
    }
    if (label) {
      for (const r of ctx.rows.slice(firstRow)) if (!OWN_REDIS.has(r.id)) r.id = `${r.id} · ${label}`;
      for (const s of ctx.sections.slice(firstSection)) if (!OWN_REDIS.has(s.id)) s.id = `${s.id} · ${label}`;
    }
  }
  const elapsed = (Date.now() - started) / 1000;
  console.log("\n" + terminalTable(ctx.rows) + "\n");
  const md = results(ctx, version, elapsed, failures);
  const file = join(BENCH, quick ? "RESULTS.quick.md" : "RESULTS.md");
  writeFileSync(file, md);
  console.log(`wrote ${file} (${elapsed.toFixed(0)} s)`);
  // A bench that failed half-way may leave sockets open (B6's subscribers): everything started is stopped, so leave.
  process.exit(failures.length ? 1 : 0);
}

function results(ctx: BenchContext, redisVersion: string, elapsed: number, failures: string[]): string {
  const machine = [
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${cpus().length} CPU (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux; shared and noisy`,
    `- Node ${process.version}; Redis ${redisVersion} (private servers started by the bench: ${PERSISTENCE.map((p) => (p === "aof" ? `AOF appendfsync ${MANAGED_APPENDFSYNC} as a managed town ships (rows marked "AOF ${MANAGED_APPENDFSYNC}")` : "no persistence")).join(", then ")})`,
    `- Transport: loopback TCP (127.0.0.1) unless a row says unix socket`,
    `- Mode: ${ctx.quick ? "--quick (small sizes, 1 run: a smoke test, not the figures of record)" : `full, ${ctx.runs} runs per measured variant unless said otherwise`}; total ${elapsed.toFixed(0)} s`,
  ];
  const sections = ctx.sections.map((s) => `### ${s.id}: ${s.title}\n\n${s.lines.join("\n")}\n`);
  return [
    "# Benchmark results",
    "",
    "Generated by `pnpm bench` (bench/src/main.ts); see bench/README.md. Every ratio is against a raw baseline measured in the same run on the same Redis.",
    "",
    ...machine,
    "",
    markdownTable(ctx.rows),
    "",
    ...(failures.length ? ["## Failures", "", ...failures.map((f) => "```\n" + f + "\n```"), ""] : []),
    "## Details",
    "",
    ...sections,
    // The analysis of missed targets is written by hand (bench/ANALYSIS.md) and appended to every report.
    ...(existsSync(join(BENCH, "ANALYSIS.md")) ? ["", readFileSync(join(BENCH, "ANALYSIS.md"), "utf8")] : []),
  ].join("\n");
}

process.on("SIGINT", () => {
  void stopAll().finally(() => process.exit(130));
});

await main();
