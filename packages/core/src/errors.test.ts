import { expect, test } from "vitest";
import { parseConfig } from "./town/config";
import { failTask } from "./task/task.service";
import { testTown } from "./testing";
import { expectCoreError } from "./testing/inspect";

test("validation errors say in plain words what is wrong with which field, never zod's own wording", async () => {
  const bad = () =>
    parseConfig({
      name: "ok",
      runner: { maxAttempts: 0, taskTimeoutSec: "1h" },
      redis: { appendfsync: "sometimes" },
      events: { maxLen: 1e12 },
      extra: true,
    });
  expect(bad).toThrow(
    "invalid tinytown.json: redis.appendfsync must be one of: always, everysec; runner.taskTimeoutSec must be a " +
      "number; runner.maxAttempts must be at least 1; events.maxLen must be at most 10000000; " +
      "unknown field(s) extra: remove them",
  );
  expect(() => parseConfig({})).toThrow("invalid tinytown.json: name is missing");
  const town = await testTown({}, "err");
  try {
    const err = await expectCoreError(() => failTask(town, { taskId: "x", error: "" }), "VALIDATION");
    expect(err.message).toBe("invalid failure: error is empty");
  } finally {
    await town.close();
  }
});
