/** Every change says who makes it: core has no default actor, and a change without one writes nothing. */
import { afterAll, beforeAll, expect, test } from "vitest";
import { pruneAgents, spawnAgent } from "./agent/agent.service";
import { closeAgent, interruptAgent, stopAgent } from "./agent/lifecycle";
import { readEvents } from "./channel/events";
import { createToken, revokeToken } from "./auth/tokens";
import { addUser } from "./auth/users";
import { sendMessage } from "./channel/channel";
import { claimTask, createTask } from "./task/task.service";
import { testTown } from "./testing";
import { expectRefusedUnchanged } from "./testing/inspect";
import type { Town } from "./town/town";

let town: Town;
beforeAll(async () => {
  town = await testTown({}, "actor");
  await spawnAgent(town, { name: "w", model: "sim", by: "ana" });
  await createTask(town, { description: "waiting", by: "ana" });
  await createToken(town, { name: "ci", role: "viewer", by: "ana" });
});
afterAll(() => town.close());

const nobody = undefined as unknown as string;

test.each([
  ["createTask", () => createTask(town, { description: "x" } as never)],
  ["spawnAgent", () => spawnAgent(town, { name: "w2", model: "sim" } as never)],
  ["sendMessage (from)", () => sendMessage(town, { to: "w", body: "hi" } as never)],
  ["claimTask", () => claimTask(town, { agent: "w" } as never)],
  ["interruptAgent", () => interruptAgent(town, "w", nobody)],
  ["interruptAgent (empty)", () => interruptAgent(town, "w", "")],
  ["closeAgent", () => closeAgent(town, "w", nobody)],
  ["stopAgent", () => stopAgent(town, "w", {} as never)],
  ["addUser", () => addUser(town, { name: "bo", role: "viewer", password: "correct horse battery" } as never)],
  ["revokeToken", () => revokeToken(town, { ref: "ci" } as never)],
])("%s without an actor → VALIDATION, nothing written", async (_what, change) => {
  await expectRefusedUnchanged(town, change, "VALIDATION");
});

test("pruning without an actor removes nothing; with one, the event names it", async () => {
  await stopAgent(town, "w", { by: "ana" });
  await expectRefusedUnchanged(town, () => pruneAgents(town, {} as never), "VALIDATION");
  expect((await pruneAgents(town, { by: "ana" })).map((a) => a.name)).toEqual(["w"]);
  expect((await readEvents(town)).at(-1)).toMatchObject({ type: "agent.removed", by: "ana" });
});
