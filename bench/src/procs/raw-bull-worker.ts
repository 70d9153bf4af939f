/**
 * The raw baseline of B4/B5: what a user could build from BullMQ and child_process alone. `queues` BullMQ
 * workers (concurrency 1 each) on queues raw-0…raw-<queues-1>; each job spawns the same trivial program as the
 * Tinytown model (`date +%s%N`, no shell), collects its stdout and LPUSHes `{id, out}` to `<prefix>:done`.
 * Usage: raw-bull-worker.ts <redisUrl> <prefix> <queues>. Prints "ready" once every worker is listening.
 */
import { spawn } from "node:child_process";
import { Worker } from "bullmq";
import { Redis } from "ioredis";

const [url, prefix, queuesArg] = process.argv.slice(2) as [string, string, string];
const opts = url.startsWith("unix://")
  ? { path: url.slice(7) }
  : { host: "127.0.0.1", port: Number(new URL(url).port) };
const conn = new Redis({ ...opts, maxRetriesPerRequest: null });
const out = new Redis({ ...opts, maxRetriesPerRequest: null });

function run(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/date", ["+%s%N"], { stdio: ["pipe", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.stdin.on("error", () => undefined);
    child.stdin.end("prompt");
    child.once("error", reject);
    child.once("close", () => resolve(text));
  });
}

const workers = Array.from(
  { length: Number(queuesArg) },
  (_, i) =>
    new Worker<{ id: string }>(
      `raw-${i}`,
      async (job) => {
        const text = await run();
        await out.lpush(`${prefix}:done`, JSON.stringify({ id: job.data.id, out: text }));
      },
      { connection: conn, prefix, concurrency: 1, drainDelay: 5, skipVersionCheck: true },
    ),
);
await Promise.all(workers.map((w) => w.waitUntilReady()));
console.log("ready");
process.on("SIGTERM", () => {
  void Promise.all(workers.map((w) => w.close())).finally(() => {
    conn.disconnect();
    out.disconnect();
    process.exit(0);
  });
});
