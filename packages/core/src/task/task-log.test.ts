import { afterAll, expect, test } from "vitest";
import { testTown } from "../testing";
import { appendTaskLog, followTaskLog, readTaskLog, TASK_LOG_MAX_LEN } from "./task-log";
import { createTask } from "./task.service";

const town = await testTown();
afterAll(() => town.close());

test("append, read the latest or after an id, capped", async () => {
  const pipe = town.redis.pipeline();
  appendTaskLog(pipe, town, "t1", [
    { stream: "sys", line: "start" },
    { stream: "out", line: "hello" },
    { stream: "err", line: "oops" },
  ]);
  await pipe.exec();
  const all = await readTaskLog(town, "t1");
  expect(all.map((e) => [e.stream, e.line])).toEqual([
    ["sys", "start"],
    ["out", "hello"],
    ["err", "oops"],
  ]);
  expect(await readTaskLog(town, "t1", { count: 1 })).toEqual([all[2]]);
  expect(await readTaskLog(town, "t1", { after: all[0]!.id })).toEqual(all.slice(1));
  expect(await town.redis.ttl(town.keys.taskLog("t1"))).toBeGreaterThan(0);
  const big = town.redis.pipeline();
  appendTaskLog(
    big,
    town,
    "t2",
    Array.from({ length: TASK_LOG_MAX_LEN * 2 }, (_, i) => ({ stream: "out" as const, line: String(i) })),
  );
  await big.exec();
  expect(await town.redis.xlen(town.keys.taskLog("t2"))).toBeLessThan(TASK_LOG_MAX_LEN * 1.2);
});

test("follow yields new lines and, with untilDone, ends when the task is settled", async () => {
  const task = await createTask(town, { description: "x", by: "cli" });
  const seen: string[] = [];
  const conn = town.blocking().duplicate();
  const done = (async () => {
    for await (const e of followTaskLog(town, task.id, { untilDone: true, blockMs: 100, connection: conn }))
      seen.push(e.line);
  })();
  const pipe = town.redis.pipeline();
  appendTaskLog(pipe, town, task.id, [
    { stream: "out", line: "a" },
    { stream: "out", line: "b" },
  ]);
  await pipe.exec();
  await new Promise((r) => setTimeout(r, 200));
  await town.redis.hset(town.keys.task(task.id), "state", "completed");
  await done;
  conn.disconnect();
  expect(seen).toEqual(["a", "b"]);
});
