/**
 * The runner reads and writes Redis only through core: no module of it touches a town's connection, its keys or
 * BullMQ's classes itself (it may only open connections that it hands to core).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const SRC = dirname(fileURLToPath(import.meta.url));
const DIRECT = /\.redis\b|\.keys\.|\bnew (Worker|Queue)\b|\.(pipeline|multi)\(\)/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [p] : [];
  });
}

test("no runner module reaches Redis except through core", () => {
  const direct = sources(SRC).flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .map((line, i) => ({ line, at: `${relative(SRC, file)}:${i + 1}` }))
      .filter(({ line }) => DIRECT.test(line) && !/^\s*(\/\/|\*)/.test(line))
      .map(({ at, line }) => `${at}: ${line.trim()}`),
  );
  expect(direct).toEqual([]);
});
