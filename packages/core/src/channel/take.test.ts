import { afterAll, expect, test } from "vitest";
import { testTown } from "../testing";
import { spawnAgent } from "../agent/agent.service";
import { peek, sendMessage } from "./channel";
import { takeMessage, takeMessages } from "./take";

const town = await testTown();
afterAll(() => town.close());

test("takes a given message out of an inbox, exactly once under a race", async () => {
  const a = await spawnAgent(town, { name: "taker", model: "sim", by: "cli" });
  await sendMessage(town, { to: "taker", body: "one", from: "supervisor" });
  const ping = await sendMessage(town, { to: "taker", type: "ping", body: "ping", from: "supervisor" });
  await sendMessage(town, { to: "taker", body: "three", priority: "urgent", from: "supervisor" });
  const results = await Promise.all([1, 2, 3].map(() => takeMessage(town, a.id, ping.id)));
  expect(results.filter(Boolean)).toHaveLength(1);
  expect((await peek(town, a.id)).map((m) => m.body)).toEqual(["three", "one"]);
  expect(await takeMessage(town, a.id, "no-such-id")).toBeNull();
  expect((await takeMessages(town, a.id, (m) => m.priority === "urgent")).map((m) => m.body)).toEqual(["three"]);
  expect((await peek(town, a.id)).map((m) => m.body)).toEqual(["one"]);
});
