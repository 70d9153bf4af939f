import { afterAll, expect, test } from "vitest";
import { testTown } from "../testing";
import { expectCoreError } from "../testing/inspect";
import { modelAvailability } from "./availability";

const town = await testTown({ models: { mine: { command: "/bin/true" } } }, "models");
afterAll(() => town.close());

/** Registers a live runner that says it can launch `models` (what a runner does at start). */
async function runnerWith(id: string, models: string[]) {
  const k = town.keys;
  await town.redis.hset(k.runners, id, JSON.stringify({ host: "h", pid: 1, startedAt: Date.now(), models }));
  await town.redis.zadd(k.runnerAlive, Date.now(), id);
}

test("an uninstalled model is reported with its install hint; sim and installed ones are fine", async () => {
  // No AI CLI is installed on this machine: claude is not on PATH.
  const claude = await modelAvailability(town, "claude");
  expect(claude).toMatchObject({ model: "claude", kind: "preset", command: "claude", installedHere: false, ok: false });
  expect(claude.hint).toBe(
    "model claude needs `claude`, which is not installed here: install Claude Code with `npm install -g @anthropic-ai/claude-code`",
  );
  expect(await modelAvailability(town, "sim")).toMatchObject({ ok: true, hint: null, kind: "simulated" });
  expect(await modelAvailability(town, "mine")).toMatchObject({ ok: true, installedHere: true, kind: "custom" });
  await expectCoreError(() => modelAvailability(town, "gpt-17"), "VALIDATION");

  // With runners alive, what counts is whether one of them can launch it.
  await runnerWith("r-without", ["sim", "mine"]);
  expect((await modelAvailability(town, "claude")).hint).toMatch(/not installed on any of the 1 running runner/);
  await runnerWith("r-with", ["sim", "mine", "claude"]);
  expect(await modelAvailability(town, "claude")).toMatchObject({ ok: true, runners: { alive: 2, able: 1 } });
});
