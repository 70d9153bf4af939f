/**
 * `tt` inside an agent run (TT_AGENT_TOKEN set): every command but the agent's own is refused with exit 7 before
 * anything is read or written, whatever the town directory or Redis the process could otherwise reach. The
 * agent's own commands go to the runner's agent API only (covered end to end in apps/runner's agent-api tests).
 */
import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { connectTown, listUsers, type Town } from "@tinytown/core";
import { createCtx } from "./context";
import { createProgram } from "./program";
import { tt, townDir } from "./testing";

let dir: string;
let town: Town;
beforeAll(async () => {
  ({ dir } = await townDir());
  town = await connectTown({ cwd: dir, env: {} });
});
afterAll(() => town.close());

/** An agent's environment whose agent API is gone: whatever reaches it would fail with "run has ended". */
const AGENT = { TT_AGENT: "worker-1", TT_AGENT_TOKEN: "x".repeat(43), TT_API: "unix:/nonexistent/agent-api.sock" };
const ALLOWED = new Set(["task complete", "task fail", "task show", "send", "inbox"]);

/** Every command of the full CLI, as the words that name it (`["task", "cancel"]`, `["status"]`). */
async function commandPaths(): Promise<string[][]> {
  const io = { out: () => undefined, err: () => undefined, isTTY: false, env: {}, cwd: "/" };
  const program = await createProgram(createCtx(io, () => ({})));
  const walk = (c: Command, prefix: string[]): string[][] =>
    c.commands.length === 0 ? [prefix] : c.commands.flatMap((sub) => walk(sub, [...prefix, sub.name()]));
  return walk(program, []);
}

async function footprint() {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await town.redis.scan(cursor, "MATCH", `${town.keys.prefix}*`, "COUNT", 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return { keys: keys.sort(), events: await town.redis.xlen(town.keys.events) };
}

const refused = (await commandPaths()).filter((p) => !ALLOWED.has(p.join(" ")));

describe("tt inside an agent run", () => {
  test("covers every command of the CLI but the agent's own", () => {
    expect(refused.length).toBeGreaterThan(20);
    expect(refused.map((p) => p.join(" "))).toEqual(
      expect.arrayContaining(["user add", "user role", "token create", "task cancel", "spawn", "kill", "assign"]),
    );
  });

  test("every other command is refused with exit 7 and changes nothing", async () => {
    const before = await footprint();
    for (const path of refused) {
      const r = await tt(dir, ["--town", dir, ...path, "x", "y"], AGENT);
      expect(r.code, path.join(" ")).toBe(7);
      expect(r.err).toContain("agents may only report on their task, send messages, read their inbox and ask a human");
    }
    expect(await footprint()).toEqual(before);
    expect(await listUsers(town)).toEqual([]);
  });

  test("the agent's own commands go to its agent API, and fail plainly once the run has ended", async () => {
    const r = await tt(dir, ["task", "complete", "--result", "done"], AGENT);
    expect(r.code).toBe(7);
    expect(r.err).toMatch(/cannot reach the runner's agent API .*: the run this agent was started for has ended/);
  });

  test("another agent's inbox and broadcasts are refused before any call", async () => {
    expect(await tt(dir, ["inbox", "worker-2"], AGENT)).toMatchObject({ code: 7, err: /own inbox/ });
    expect(await tt(dir, ["send", "--all", "hello", "everyone"], AGENT)).toMatchObject({
      code: 7,
      err: /cannot broadcast/,
    });
  });
});
