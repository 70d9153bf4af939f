import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { afterAll, expect, test } from "vitest";
import { testTown } from "@tinytown/core/testing";
import type { RunnerContext } from "./context";
import { killOrphan } from "./run-record";
import { pidAlive, waitFor } from "../test/helpers";

const town = await testTown();
afterAll(() => town.close());

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const ctx = { town, id: "taker", by: "runner:taker", host: hostname(), log: quiet } as unknown as RunnerContext;

test("a runner that died before recording its agent process: the taker finds the process by task and kills it", async () => {
  // The lost runner's agent process: no run record was written for it.
  const env = { ...process.env, TT_TASK: "task-orphan-1", TT_RUNNER: "lost" };
  const orphan = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], {
    env,
    detached: true,
    stdio: "ignore",
  });
  // A process of the same task started by the taker itself must be left alone.
  const own = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], {
    env: { ...env, TT_RUNNER: "taker" },
    detached: true,
    stdio: "ignore",
  });
  try {
    await waitFor("processes up", () => pidAlive(orphan.pid!) && pidAlive(own.pid!));
    const killed = await killOrphan(ctx, "agent-x", "task-orphan-1");
    expect(killed).toEqual([orphan.pid]);
    await waitFor("orphan gone", () => !pidAlive(orphan.pid!));
    expect(pidAlive(own.pid!)).toBe(true);
  } finally {
    for (const c of [orphan, own]) if (c.pid && pidAlive(c.pid)) process.kill(-c.pid, "SIGKILL");
  }
});
