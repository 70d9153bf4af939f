import { expect, test } from "vitest";
import { z } from "zod";
import { CoreError, isLostRace, toCoreError } from "./errors";
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
    const err = await expectCoreError(() => failTask(town, { taskId: "x", error: "", by: "cli" }), "VALIDATION");
    expect(err.message).toBe("invalid failure: error is empty");
  } finally {
    await town.close();
  }
});

test("toCoreError: anything thrown becomes the CoreError it stands for, keeping the original as cause", () => {
  const own = new CoreError("CONFLICT", "stale", { version: 3 });
  expect(toCoreError(own)).toBe(own);

  const zod = z.object({ description: z.string().min(1, "the task text is empty") }).safeParse({ description: "" });
  const bad = toCoreError(zod.error);
  expect(bad).toMatchObject({
    code: "VALIDATION",
    message: "invalid input: description: the task text is empty",
    details: { issues: ["description: the task text is empty"] },
  });
  expect(bad.cause).toBe(zod.error);

  for (const message of ["connect ECONNREFUSED 127.0.0.1:6379", "Connection is closed.", "connect ENOENT /x.sock"])
    expect(toCoreError(new Error(message))).toMatchObject({
      code: "REDIS_UNAVAILABLE",
      message: `the town's Redis is unreachable (${message}); try again in a moment`,
    });
  const gaveUp = Object.assign(new Error("Reached the max retries per request limit"), {
    name: "MaxRetriesPerRequestError",
  });
  expect(toCoreError(gaveUp).code).toBe("REDIS_UNAVAILABLE");
  expect(toCoreError(new Error("Command timed out")).message).toMatch(
    /did not answer in time .* a change may still be applied .* check what changed before trying again/,
  );

  const bug = new TypeError("x is undefined");
  expect(toCoreError(bug)).toMatchObject({ code: "INTERNAL", message: "x is undefined", cause: bug });
  expect(toCoreError("thrown text")).toMatchObject({ code: "INTERNAL", message: "thrown text" });
  // A file that is missing is not a Redis outage.
  expect(toCoreError(new Error("ENOENT: no such file or directory, open 'x'")).code).toBe("INTERNAL");
});

test("isLostRace: a stale version or a state that moved on, nothing else", () => {
  expect(isLostRace(new CoreError("CONFLICT", "x"))).toBe(true);
  expect(isLostRace(new CoreError("INVALID_STATE", "x"))).toBe(true);
  expect(isLostRace(new CoreError("NOT_FOUND", "x"))).toBe(false);
  expect(isLostRace(new Error("CONFLICT"))).toBe(false);
});
