import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { townOnRedis, type Town } from "../town/town";
import type { TownConfigInput } from "../town/config";

export * from "./redis-server";
export * from "./cluster";
export * from "./inspect";
export * from "./git";

/** A unique town name, so that tests sharing one Redis never see each other's keys. */
export const uniqueTownName = (prefix = "t") => `${prefix}-${randomBytes(5).toString("hex")}`;

/** True in a `test:cluster` run (TT_TEST_CLUSTER=1): the test Redis is a 3-master Redis Cluster. */
export const onCluster = () => process.env.TT_TEST_CLUSTER === "1";

/**
 * The Redis URL of this test run: REDIS_URL, or the private server of the global setup; in a cluster run always
 * the global setup's `redis+cluster://` URL (towns on it use hash-tagged keys, see town.ts).
 */
export function testRedisUrl(): string {
  if (onCluster()) return inject("redisUrl");
  return process.env.REDIS_URL ?? inject("redisUrl");
}

/** A fresh town on the test Redis (with `redis.cluster: true` in a cluster run); close it in afterEach/afterAll. */
export async function testTown(config: Partial<TownConfigInput> = {}, prefix?: string): Promise<Town> {
  const redis = onCluster() ? { cluster: true, ...config.redis } : config.redis;
  return townOnRedis({
    name: uniqueTownName(prefix),
    url: testRedisUrl(),
    config: { ...config, ...(redis ? { redis } : {}) },
  });
}

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
