import { expect, test } from "vitest";
import { createShutdownManager } from "./shutdown";

test("runs each handler once, in order, and answers 128 + signal", async () => {
  const calls: string[] = [];
  const m = createShutdownManager({ timeoutMs: 1_000, signals: [], log: () => undefined, exit: () => undefined });
  m.register("a", async () => void calls.push("a"));
  m.register("a", async () => void calls.push("a again"));
  m.register("b", async () => {
    throw new Error("b fails; c still runs");
  });
  m.register("c", async (sig) => void calls.push(`c ${sig}`));
  const [one, two] = await Promise.all([m.shutdown("SIGTERM"), m.shutdown("SIGINT")]);
  expect([one, two]).toEqual([143, 143]);
  expect(calls).toEqual(["a", "c SIGTERM"]);
  expect(await createShutdownManager({ timeoutMs: 100, signals: [], exit: () => undefined }).shutdown("SIGINT")).toBe(
    130,
  );
});

test("a hanging handler is cut off by the timeout", async () => {
  const exits: number[] = [];
  const m = createShutdownManager({ timeoutMs: 100, signals: [], log: () => undefined, exit: (c) => exits.push(c) });
  m.register("hang", () => new Promise(() => undefined));
  void m.shutdown("SIGTERM");
  await new Promise((r) => setTimeout(r, 300));
  expect(exits).toEqual([143]);
});
