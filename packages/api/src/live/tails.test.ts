import { afterAll, expect, test } from "vitest";

import { appendTaskLog, createTask } from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";

import { callerFor, iterate } from "../test-utils";
import { closeLiveHubs } from "./hub";

const town = await testTown({}, "tails");
afterAll(async () => {
  closeLiveHubs(town);
  await town.close();
});

async function log(taskId: string, line: string) {
  const pipe = town.redis.pipeline();
  appendTaskLog(pipe, town, taskId, [{ stream: "out", line }]);
  await pipe.exec();
}

async function next<T>(it: AsyncIterator<unknown>, ms = 5_000): Promise<T> {
  const r = await Promise.race([it.next(), new Promise<"late">((ok) => setTimeout(() => ok("late"), ms))]);
  if (r === "late" || r.done) throw new Error("no item in time");
  return r.value as T;
}

test("task.tails: the current last line of each task, then each newer one, for several tasks on one stream", async () => {
  const a = await createTask(town, { description: "a", by: "t" });
  const b = await createTask(town, { description: "b", by: "t" });
  await log(a.id, "a: first");
  await log(a.id, "a: second");
  const stop = new AbortController();
  const it = iterate(await callerFor(town, "ada", { signal: stop.signal }).task.tails({ taskIds: [a.id, b.id] }));
  const first = await next<Record<string, { line: string }>>(it);
  expect(Object.fromEntries(Object.entries(first).map(([k, v]) => [k, v.line]))).toEqual({ [a.id]: "a: second" });

  await log(b.id, "b: hello");
  await log(a.id, "a: third");
  const seen: Record<string, string> = {};
  while (seen[a.id] !== "a: third" || seen[b.id] !== "b: hello") {
    for (const [k, v] of Object.entries(await next<Record<string, { line: string }>>(it))) seen[k] = v.line;
  }
  stop.abort();
  await it.return?.();
});

test("task.tails refuses more than 50 tasks", async () => {
  const ids = Array.from({ length: 51 }, (_, i) => `t${i}`);
  await expect(callerFor(town, "ada").task.tails({ taskIds: ids })).rejects.toMatchObject({ code: "BAD_REQUEST" });
});
