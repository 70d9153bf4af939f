import { afterEach } from "vitest";
/** Test towns with the fixture agents as custom models, and small waiting helpers. */
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { townOnRedis, type ModelSpec, type Town, type TownConfig, type TownConfigInput } from "@tinytown/core";
import { testRedisUrl, uniqueTownName } from "@tinytown/core/testing";

export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
export const RUNNER_BIN = fileURLToPath(new URL("../bin/tt-runner.mjs", import.meta.url));

export interface FixtureTown {
  town: Town;
  dir: string;
  fx: string;
}

/** A fixture model: this Node running test/fixtures/<script>, leaving evidence in `fx`. */
export function fixtureModel(fx: string, script: string, extra: Partial<ModelSpec> = {}): ModelSpec {
  return {
    command: process.execPath,
    args: [join(FIXTURES, script)],
    prompt: "stdin",
    ...extra,
    env: { FIXTURE_DIR: fx, ...extra.env },
  };
}

export async function fixtureTown(
  opts: {
    runner?: Partial<TownConfig["runner"]>;
    models?: (fx: string) => Record<string, ModelSpec>;
    /** More of the town's config (budgets, lanes, pricing). */
    config?: Partial<TownConfigInput>;
  } = {},
): Promise<FixtureTown> {
  const dir = mkdtempSync(join(tmpdir(), "tt-runner-"));
  const fx = join(dir, "fx");
  const models: Record<string, ModelSpec> = {
    ok: fixtureModel(fx, "ok.mjs"),
    fail: fixtureModel(fx, "fail.mjs"),
    hang: fixtureModel(fx, "hang.mjs"),
    flood: fixtureModel(fx, "flood.mjs"),
    "slow-start": fixtureModel(fx, "slow-start.mjs"),
    interruptible: fixtureModel(fx, "interruptible.mjs"),
    "slow-once": fixtureModel(fx, "slow-once.mjs"),
    ...opts.models?.(fx),
  };
  const name = uniqueTownName("rn");
  const runner = { taskTimeoutSec: 60, maxAttempts: 3, killGraceSec: 0.5, shutdownGraceSec: 0.5, ...opts.runner };
  const config = { name, redis: { url: testRedisUrl() }, models, runner, ...opts.config };
  writeFileSync(join(dir, "tinytown.json"), JSON.stringify(config, null, 2));
  const town = await townOnRedis({
    name,
    url: testRedisUrl(),
    config: { models, runner: config.runner, ...opts.config },
    dir,
  });
  return { town, dir, fx };
}

export { waitFor } from "@tinytown/core/testing";

/** Alive and not a zombie (core's check, shared with the managed Redis). */
export { processAlive as pidAlive } from "@tinytown/core";

export function readJsonl<T = Record<string, unknown>>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/**
 * Undo steps run after each test of the file, last registered first (runners stopped before their towns close);
 * a failing step does not keep the others from running. Call once at the top of a test file.
 */
export function cleanupAfterEach(): (undo: () => Promise<unknown>) => void {
  let steps: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const undo of steps.reverse()) await undo().catch(() => undefined);
    steps = [];
  });
  return (undo) => {
    steps.push(undo);
  };
}
