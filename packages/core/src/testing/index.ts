import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { townOnRedis, type Town } from "../town/town";
import type { TownConfigInput } from "../town/config";

export * from "./redis-server";

/** A unique town name, so that tests sharing one Redis never see each other's keys. */
export const uniqueTownName = (prefix = "t") => `${prefix}-${randomBytes(5).toString("hex")}`;

/** The Redis URL of this test run (REDIS_URL, or the private server of the global setup). */
export function testRedisUrl(): string {
  return process.env.REDIS_URL ?? inject("redisUrl");
}

/** A fresh town on the test Redis; close it in afterEach/afterAll. */
export async function testTown(config: Partial<TownConfigInput> = {}, prefix?: string): Promise<Town> {
  return townOnRedis({ name: uniqueTownName(prefix), url: testRedisUrl(), config });
}

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
