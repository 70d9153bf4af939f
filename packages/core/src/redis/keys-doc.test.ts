/**
 * ARCHITECTURE.md's key table lists every key `keys.ts` builds, and nothing else: each builder is called with its
 * parameter names as placeholders (`agent(id)` → `tt:<town>:agent:<id>`) and compared with the documented keys.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { townKeys } from "./keys";

const DOC = readFileSync(fileURLToPath(new URL("../../../../ARCHITECTURE.md", import.meta.url)), "utf8");
const PREFIX = "tt:<town>:";

/** The keys in the first column of the table between `<!-- keys:begin -->` and `<!-- keys:end -->`. */
function documentedKeys(): string[] {
  const m = /<!-- keys:begin -->([\s\S]*?)<!-- keys:end -->/.exec(DOC);
  if (!m) throw new Error("ARCHITECTURE.md has no keys:begin / keys:end block");
  return m[1]!
    .split("\n")
    .filter((l) => l.startsWith("| `"))
    .flatMap((l) => [...l.split("|")[1]!.matchAll(/`([^`]+)`/g)].map((k) => k[1]!))
    .map((k) => (k.startsWith(PREFIX) ? k : PREFIX + k));
}

/** Every key the builders make, with `<param>` placeholders; the BullMQ prefix as its queues' keys. */
function builtKeys(): string[] {
  const keys = townKeys("<town>");
  return Object.entries(keys)
    .filter(([name]) => name !== "prefix")
    .map(([name, k]) => {
      if (name === "bullPrefix") return `${keys.bullPrefix}:agent-<agentId>:*`;
      if (typeof k === "string") return k;
      const fn: (...args: string[]) => string = k;
      const params = /^\(?([^)=]*)\)?\s*=>/
        .exec(fn.toString())![1]!
        .split(",")
        .map((p) => p.trim());
      return fn(...params.map((p) => `<${p}>`));
    });
}

test("ARCHITECTURE.md documents every key of keys.ts, and no other", () => {
  const documented = documentedKeys();
  const built = builtKeys();
  expect(
    built.filter((k) => !documented.includes(k)),
    "keys missing from ARCHITECTURE.md",
  ).toEqual([]);
  expect(
    documented.filter((k) => !built.includes(k)),
    "documented keys that keys.ts does not build",
  ).toEqual([]);
  expect(new Set(documented).size).toBe(documented.length);
});
