/** The live event stream must not look live while the town's Redis is gone: it ends with SERVICE_UNAVAILABLE. */
import { afterAll, expect, test } from "vitest";

import { townOnRedis } from "@tinytown/core";
import { startRedisServer, uniqueTownName } from "@tinytown/core/testing";

import { callerFor, iterate, take } from "../test-utils";
import { closeLiveHubs } from "./hub";

// Its own redis-server: this test stops it.
const redis = await startRedisServer();
const town = await townOnRedis({ name: uniqueTownName("lost"), url: redis.url, config: {} });
afterAll(async () => {
  closeLiveHubs(town);
  await town.close().catch(() => undefined);
  await redis.stop();
});

/** Opens town.events, waits for stream.ready, runs `lose`, and returns how the stream ended within 3 s. */
async function endAfter(lose: () => Promise<void> | void) {
  const stop = new AbortController();
  const it = iterate(await callerFor(town, "ada", { signal: stop.signal }).town.events());
  const [ready] = await take<{ type: string }>(it, 1);
  expect(ready!.data.type).toBe("stream.ready");
  const lostAt = Date.now();
  await lose();
  const end = await Promise.race([
    it.next().then(
      () => "yielded",
      (err: unknown) => err,
    ),
    new Promise((ok) => setTimeout(() => ok("still open"), 3_000)),
  ]);
  const ms = Date.now() - lostAt;
  stop.abort();
  return { end, ms };
}

test("town.events ends with SERVICE_UNAVAILABLE within 3 s when the town's Redis stops answering (paused)", async () => {
  const { end, ms } = await endAfter(() => void process.kill(redis.pid, "SIGSTOP"));
  process.kill(redis.pid, "SIGCONT");
  expect(end).toMatchObject({
    code: "SERVICE_UNAVAILABLE",
    message: expect.stringMatching(/Redis is unreachable/) as unknown,
  });
  expect(ms).toBeLessThan(3_000);
  await expect.poll(() => town.redis.status, { timeout: 10_000 }).toBe("ready");
});

test("town.events ends with SERVICE_UNAVAILABLE within 3 s when the town's Redis is stopped", async () => {
  const { end, ms } = await endAfter(() => redis.stop());
  expect(end).toMatchObject({
    code: "SERVICE_UNAVAILABLE",
    message: expect.stringMatching(/Redis is unreachable/) as unknown,
  });
  expect(ms).toBeLessThan(3_000);
});
