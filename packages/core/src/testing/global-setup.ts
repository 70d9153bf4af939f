/** Vitest global setup: one private redis-server for the whole run, unless REDIS_URL is set. */
import type { TestProject } from "vitest/node";
import { startRedisServer } from "./redis-server";

export default async function setup(project: TestProject) {
  if (process.env.REDIS_URL) {
    project.provide("redisUrl", process.env.REDIS_URL);
    return;
  }
  const server = await startRedisServer();
  project.provide("redisUrl", server.url);
  return async () => server.stop();
}
