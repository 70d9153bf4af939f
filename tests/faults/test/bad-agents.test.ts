/**
 * Agents that misbehave, run by a real runner process: one hangs and ignores SIGTERM (with a grandchild that
 * ignores it too), one floods its output, two die by a signal (SIGKILL, SIGSEGV). The hang times out and its
 * whole process tree is killed; the flood completes with the runner's memory bounded and its logs capped; a
 * crash is retried as a recorded attempt, then fails saying which signal. The runner survives all of it.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTask, getTask, spawnAgent, type Task } from "@tinytown/core";
import { Harness, pidAlive, sleep, waitFor, type RunnerProcess } from "../src/harness";
import { checkInvariants } from "../src/invariants";
import { report } from "../src/report";
import { SIZE } from "../src/size";

const MAX_ATTEMPTS = 2;
// Long enough for the 20 MB flood to finish on a loaded 2-core machine (at 3 s it timed out under load 13), short
// enough that the hang's timeout is seen quickly.
const TIMEOUT_SEC = 10;

let h: Harness;
let runner: RunnerProcess;
beforeAll(async () => {
  h = await Harness.create({
    runner: { taskTimeoutSec: TIMEOUT_SEC, maxAttempts: MAX_ATTEMPTS, killGraceSec: 0.5 },
    env: { flood: { FLOOD_MB: String(SIZE.floodMb) } },
  });
  runner = h.startRunner();
});
afterAll(async () => h?.close());

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);

async function settled(id: string, ms: number): Promise<Task> {
  return waitFor(
    `task ${id} settled`,
    async () => {
      const t = await getTask(h.town, id);
      return ["completed", "failed", "cancelled"].includes(t.state) ? t : null;
    },
    ms,
    100,
  );
}

test(`hang (ignores SIGTERM), flood (${SIZE.floodMb} MB), exit by SIGKILL and SIGSEGV: handled, bounded, no orphans`, async () => {
  const started = Date.now();
  for (const [name, model] of [
    ["hanger", "hang"],
    ["flooder", "flood"],
    ["crasher", "signal"],
    ["segfaulter", "segv"],
  ] as const)
    await spawnAgent(h.town, { name, model, by: "faults" });
  // The baseline is the runner at work, serving these agents, before any task: not a process still booting.
  await waitFor("the runner serves the agents", async () => (await h.town.redis.hlen(h.town.keys.runners)) > 0, 15_000);
  await sleep(1500);
  const baseline = rssKb(runner.child.pid!);
  let peak = baseline;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      if (pidAlive(runner.child.pid!)) peak = Math.max(peak, rssKb(runner.child.pid!));
      await sleep(50);
    }
  })();

  const hang = await createTask(h.town, { description: "hang forever", assignTo: "hanger", by: "faults" });
  const flood = await createTask(h.town, { description: "flood the output", assignTo: "flooder", by: "faults" });
  const crash = await createTask(h.town, { description: "die by SIGKILL", assignTo: "crasher", by: "faults" });
  const segv = await createTask(h.town, { description: "die by SIGSEGV", assignTo: "segfaulter", by: "faults" });
  h.ledger.task(hang.id, ["failed"]);
  h.ledger.task(flood.id, ["completed"]);
  h.ledger.task(crash.id, ["failed"], { crashes: true });
  h.ledger.task(segv.id, ["failed"], { crashes: true });

  const [hangT, floodT, crashT, segvT] = await Promise.all([
    settled(hang.id, 30_000),
    settled(flood.id, 120_000),
    settled(crash.id, 30_000),
    settled(segv.id, 30_000),
  ]);
  sampling = false;
  await sampler;

  // The hang: timed out, its whole tree killed (the child that ignores SIGTERM too).
  expect(hangT).toMatchObject({ state: "failed", attempts: 1 });
  expect(hangT.error).toMatch(new RegExp(`timed out after ${TIMEOUT_SEC} s`));
  const hangRec = h.evidence().find((e) => e.task === hang.id)!;
  await waitFor("the hang's process tree is gone", () => !pidAlive(hangRec.pid) && !pidAlive(hangRec.child!), 5_000);

  // The flood: completed, the runner's memory stayed bounded, the log file and stream are capped.
  expect(floodT.state, String(floodT.error)).toBe("completed");
  const growthMb = (peak - baseline) / 1024;
  expect(growthMb, `runner RSS grew ${growthMb.toFixed(0)} MB while the agent printed ${SIZE.floodMb} MB`).toBeLessThan(
    150,
  );
  const logFile = join(h.dir, ".tt", "logs", `${flood.id}.log`);
  const logBytes = statSync(logFile).size;
  expect(logBytes).toBeLessThanOrEqual(20 * 1024 * 1024 + 64 * 1024);
  const streamLen = await h.town.redis.xlen(h.town.keys.taskLog(flood.id));
  expect(streamLen).toBeLessThan(100_000);

  // Crashes: retried as recorded attempts, then failed naming the signal.
  for (const [t, sig] of [
    [crashT, "SIGKILL"],
    [segvT, "SIGSEGV"],
  ] as const) {
    expect(t).toMatchObject({ state: "failed", attempts: MAX_ATTEMPTS });
    expect(t.error).toMatch(new RegExp(`killed by ${sig}`));
    expect(h.evidence().filter((e) => e.task === t.id && e.event === "start")).toHaveLength(MAX_ATTEMPTS);
  }

  expect(runner.child.exitCode, "the runner survived every bad agent").toBeNull();
  const figures = await checkInvariants(h, { crashes: 0 });
  report({
    scenario: "bad agents (hang, flood, signals)",
    kills: 2 * MAX_ATTEMPTS,
    ...figures,
    floodMb: SIZE.floodMb,
    runnerRssGrowthMb: Math.round(growthMb),
    floodLogMb: Math.round(logBytes / 1024 / 1024),
    floodStreamLines: streamLen,
    ms: Date.now() - started,
  });
}, 180_000);
