/**
 * Core's layering, checked on its own imports: no module imports itself back through others (a cycle makes load
 * order decide what is defined), core never imports itself by package name, and the storage layer (redis/) knows no
 * domain module.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const SRC = dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === "testing" ? [] : sources(p);
    return /\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [p] : [];
  });
}

/** Relative imports (static, dynamic and type-only) of a file, as repository-relative paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]!);
  return specs.map((s) => relative(SRC, resolve(dirname(file), s.endsWith(".ts") ? s : `${s}.ts`)));
}

const files = sources(SRC).map((f) => relative(SRC, f));
const graph = new Map(files.map((f) => [f, importsOf(join(SRC, f)).filter((i) => files.includes(i))]));

test("core has no import cycles", () => {
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === "done") return;
    if (state.get(f) === "open") {
      cycles.push([...path.slice(path.indexOf(f)), f].join(" → "));
      return;
    }
    state.set(f, "open");
    for (const next of graph.get(f) ?? []) visit(next, [...path, f]);
    state.set(f, "done");
  };
  for (const f of files) visit(f, []);
  expect(cycles).toEqual([]);
});

test("core does not import itself by its package name", () => {
  const selfImports = files.filter((f) => /from\s+"@tinytown\/core/.test(readFileSync(join(SRC, f), "utf8")));
  expect(selfImports).toEqual([]);
});

test("redis/ imports nothing from the domain above it (only errors)", () => {
  const outward = files
    .filter((f) => f.startsWith("redis/"))
    .flatMap((f) =>
      (graph.get(f) ?? []).filter((i) => !i.startsWith("redis/") && i !== "errors.ts").map((i) => `${f} → ${i}`),
    );
  expect(outward).toEqual([]);
});
