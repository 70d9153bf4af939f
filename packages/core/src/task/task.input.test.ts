/** Bad input gets a clear VALIDATION error and writes nothing (every key of the town compared before/after). */
import { afterAll, beforeAll, expect, test } from "vitest";
import { testTown } from "../testing";
import { expectRefusedUnchanged, scanKeys } from "../testing/inspect";
import { spawnAgent } from "../agent/agent.service";
import type { Town } from "../town/town";
import { MAX_DESCRIPTION_BYTES } from "./task";
import { assignTask, completeTask, createTask, failTask, getTask, startTask } from "./task.service";

let town: Town;
beforeAll(async () => {
  town = await testTown({}, "input");
  await spawnAgent(town, { name: "worker", model: "claude", by: "cli" });
  await createTask(town, { description: "already here", by: "cli" }); // so "nothing written" compares a non-empty town
});
afterAll(() => town.close());

const KiB64 = 64 * 1024;

test.each([
  ["empty", { description: "" }, "description: the task text is empty"],
  ["64 KiB + 1 byte (ASCII)", { description: "x".repeat(KiB64 + 1) }, `is ${KiB64 + 1} bytes; the limit is ${KiB64}`],
  ["64 KiB + 1 byte (multi-byte)", { description: `${"é".repeat(KiB64 / 2)}x` }, `is ${KiB64 + 1} bytes`],
  ["a NUL byte", { description: "before\u0000after" }, "NUL byte"],
  ["a lone high surrogate", { description: "bad \uD800 text" }, "not valid UTF-8"],
  ["a lone low surrogate", { description: "bad \uDC00" }, "not valid UTF-8"],
  ["reversed surrogates", { description: "\uDE00\uD83D" }, "not valid UTF-8"],
  ["a tag with spaces", { description: "x", tags: ["two words"] }, "tags.0: a tag is 1-32 characters"],
  ["an empty tag", { description: "x", tags: [""] }, "tags.0"],
  ["a tag of 33 characters", { description: "x", tags: ["t".repeat(33)] }, "tags.0"],
  ["a tag with a slash", { description: "x", tags: ["ok", "a/b"] }, "tags.1"],
  ["17 tags", { description: "x", tags: Array.from({ length: 17 }, (_, i) => `t${i}`) }, "tags"],
  ["an unknown priority", { description: "x", priority: "critical" }, "priority"],
  ["a non-string description", { description: 42 }, "description"],
  ["an empty author", { description: "x", by: "" }, "by"],
])("createTask with %s → VALIDATION, nothing written", async (_what, input, message) => {
  const keysBefore = (await scanKeys(town.redis, `${town.keys.prefix}*`)).length;
  const err = await expectRefusedUnchanged(
    town,
    () => createTask(town, { by: "cli", ...(input as object) } as never),
    "VALIDATION",
  );
  expect(err.message).toMatch(/^invalid task: /);
  expect(err.message).toContain(message);
  expect((await scanKeys(town.redis, `${town.keys.prefix}*`)).length).toBe(keysBefore);
});

test("exactly 64 KiB is accepted, in ASCII and in multi-byte text, and stored byte for byte", async () => {
  for (const description of ["x".repeat(KiB64), "é".repeat(KiB64 / 2), `${"🙂".repeat(KiB64 / 4 - 1)}abcd`]) {
    expect(Buffer.byteLength(description)).toBe(MAX_DESCRIPTION_BYTES);
    const t = await createTask(town, { description, by: "cli" });
    expect((await getTask(town, t.id)).description).toBe(description);
  }
});

test("valid surrogate pairs, upper-case and duplicate tags are fine", async () => {
  const t = await createTask(town, {
    description: "ship it 🚀 — ✓",
    tags: [" UI ", "ui", "backend.api", "v1:beta"],
    by: "cli",
  });
  expect(await getTask(town, t.id)).toMatchObject({
    description: "ship it 🚀 — ✓",
    tags: ["ui", "backend.api", "v1:beta"],
  });
});

test("an unknown assignee → NOT_FOUND, nothing written", async () => {
  const err = await expectRefusedUnchanged(
    town,
    () => createTask(town, { description: "x", assignTo: "ghost", by: "cli" }),
    "NOT_FOUND",
  );
  expect(err.message).toContain("ghost");
});

test("bad input to other task changes → VALIDATION, nothing written", async () => {
  const t = await createTask(town, { description: "target", assignTo: "worker", by: "cli" });
  const agentId = t.assignedTo!;
  await expectRefusedUnchanged(town, () => assignTask(town, { taskId: "", agent: "worker", by: "cli" }), "VALIDATION");
  await expectRefusedUnchanged(
    town,
    () => assignTask(town, { taskId: t.id, agent: "worker", expectedVersion: -1, by: "cli" }),
    "VALIDATION",
  );
  await expectRefusedUnchanged(
    town,
    () => assignTask(town, { taskId: t.id, agent: "worker", expectedVersion: 1.5, by: "cli" }),
    "VALIDATION",
  );
  await startTask(town, { taskId: t.id, agentId, by: "runner:x" });
  await expectRefusedUnchanged(town, () => failTask(town, { taskId: t.id, error: "", by: "cli" }), "VALIDATION");
  await expectRefusedUnchanged(
    town,
    () => completeTask(town, { taskId: t.id, result: "r".repeat(KiB64 + 1), by: "cli" }),
    "VALIDATION",
  );
});

test("the messages say what was wrong", async () => {
  const err = await expectRefusedUnchanged(
    town,
    () => createTask(town, { description: "", tags: ["Bad Tag"], by: "cli" }),
    "VALIDATION",
  );
  expect(err.details.issues).toEqual([
    "description: the task text is empty",
    expect.stringContaining("tags.0: a tag is 1-32 characters"),
  ]);
});
