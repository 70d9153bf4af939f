/** Every procedure takes core's references: a task reference is at most 64 characters wherever it is given. */
import { afterAll, expect, test } from "vitest";

import { TaskRef } from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";

import { callerFor } from "./test-utils";

const town = await testTown();
afterAll(() => town.close());

test("a task reference over 64 characters is bad input for every procedure that takes one", async () => {
  const api = callerFor(town, "alice");
  const ref = "f".repeat(65);
  expect(TaskRef.safeParse(ref).success).toBe(false);
  for (const call of [
    () => api.task.get({ taskId: ref }),
    () => api.task.log({ taskId: ref }),
    () => api.task.cancel({ taskId: ref }),
    () => api.queue.promote({ taskId: ref }),
  ])
    await expect(call()).rejects.toMatchObject({ code: "BAD_REQUEST" });
});
