/** The MCP tools take the same references and read the same views as the tRPC API: core's schemas and functions. */
import { afterAll, expect, test } from "vitest";

import { taskDetail, taskLogPage, writeTaskLog, type Principal } from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";

import { TestClient } from "../test/helpers";

const town = await testTown({}, "mcp-refs");
const alice: Principal = { kind: "user", name: "alice", role: "admin" };
const client = await TestClient.inMemory(town, alice);
afterAll(async () => {
  await client.close();
  await town.close();
});

test("a stream position is a stream id: more than 20 digits in a part is refused before anything is read", async () => {
  const t = await client.ok<{ id: string }>("create_task", { description: "log me" });
  const r = await client.call("task_log", { taskId: t.id, after: `${"1".repeat(21)}-0` });
  expect(r.isError).toBe(true);
  expect(r.text).toMatch(/Input validation error.*a stream position is an id such as/s);
  const tooLong = await client.call("get_task", { taskId: "f".repeat(65) });
  expect(tooLong.isError).toBe(true);
  expect(tooLong.text).toMatch(/Input validation error/);
});

test("get_task and task_log answer with core's task detail and log page", async () => {
  await client.ok("spawn_agent", { name: "w", model: "sim" });
  const t = await client.ok<{ id: string }>("create_task", { description: "view me", assignTo: "w" });
  await writeTaskLog(
    town,
    t.id,
    [1, 2, 3].map((n) => ({ stream: "out" as const, line: `line ${n}` })),
  );
  expect(await client.ok("get_task", { taskId: t.id })).toEqual(
    JSON.parse(JSON.stringify(await taskDetail(town, t.id))),
  );
  expect(await client.ok("task_log", { taskId: t.id, limit: 2 })).toEqual(
    JSON.parse(JSON.stringify(await taskLogPage(town, { taskId: t.id, limit: 2 }))),
  );
});
