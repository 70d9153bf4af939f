import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initTown } from "@tinytown/core";
import { testRedisUrl, uniqueTownName } from "@tinytown/core/testing";
import { run } from "./program";
import type { IO } from "./output";

export interface Result {
  code: number;
  out: string;
  err: string;
}

/** Runs `tt` in-process against `dir` and captures its output. */
export async function tt(
  dir: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  stdin?: string,
): Promise<Result> {
  let out = "";
  let err = "";
  const io: IO = {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    isTTY: false,
    env: { PATH: process.env.PATH, ...env },
    cwd: dir,
    ...(stdin !== undefined ? { stdin: () => Promise.resolve(stdin) } : {}),
  };
  const code = await run(args, io);
  return { code, out, err };
}

/** A town directory whose config points at the test Redis (no managed server), with a unique name. */
export async function townDir(): Promise<{ dir: string; name: string }> {
  const dir = mkdtempSync(join(tmpdir(), "tt-cli-"));
  const name = uniqueTownName("cli");
  const town = await initTown({ dir, name, redisUrl: testRedisUrl() });
  await town.close();
  return { dir, name };
}
