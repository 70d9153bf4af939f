import { Command } from "commander";
import { expect, test } from "vitest";
import { createCtx } from "./context";
import { commandWord, createProgram, NOUNS, VERSION } from "./program";
import type { IO } from "./output";
import pkg from "../package.json" with { type: "json" };

const io: IO = { out: () => undefined, err: () => undefined, isTTY: false, env: {}, cwd: "/" };

test("the command table names exactly the commands each noun module registers, so `tt <cmd>` loads the right one", async () => {
  for (const noun of NOUNS) {
    const program = new Command("tt");
    (await noun.load())(
      program,
      createCtx(io, () => ({})),
    );
    const registered = program.commands.flatMap((c) => [c.name(), ...c.aliases()]).sort();
    expect(registered).toEqual([...noun.commands].sort());
  }
  const all = await createProgram(createCtx(io, () => ({})));
  const names = all.commands.flatMap((c) => [c.name(), ...c.aliases()]).sort();
  expect(names).toEqual(NOUNS.flatMap((n) => n.commands).sort());
});

test("the command word skips global options; help names its command", () => {
  expect(commandWord(["--town", "status", "list"])).toBe("list");
  expect(commandWord(["--json", "status"])).toBe("status");
  expect(commandWord(["help", "--json", "inbox"])).toBe("inbox");
  expect(commandWord(["--json"])).toBeNull();
});

test("tt --version (bin/tt.mjs reads package.json) and the bundle's VERSION agree", () => {
  expect(VERSION).toBe(pkg.version);
});
