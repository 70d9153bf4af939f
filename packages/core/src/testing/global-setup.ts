/**
 * Vitest global setup: one private redis-server for the whole run, unless REDIS_URL is set. With
 * TT_TEST_CLUSTER=1 (the `test:cluster` scripts) a private 3-master Redis Cluster instead, or the cluster named
 * by TT_TEST_CLUSTER_URL (`redis+cluster://…`); towns then connect with a Cluster client and hash-tagged keys.
 */
import type { TestProject } from "vitest/node";
import { startRedisCluster } from "./cluster";
import { startRedisServer } from "./redis-server";

export default async function setup(project: TestProject) {
  if (process.env.TT_TEST_CLUSTER === "1") {
    if (process.env.TT_TEST_CLUSTER_URL) {
      project.provide("redisUrl", process.env.TT_TEST_CLUSTER_URL);
      return;
    }
    const started = Date.now();
    const cluster = await startRedisCluster();
    console.log(
      `test Redis Cluster: ${cluster.url} (3 masters, pids ${cluster.pids.join(", ")}, ready in ${Date.now() - started} ms)`,
    );
    project.provide("redisUrl", cluster.url);
    return async () => cluster.stop();
  }
  if (process.env.REDIS_URL) {
    project.provide("redisUrl", process.env.REDIS_URL);
    return;
  }
  const server = await startRedisServer();
  project.provide("redisUrl", server.url);
  return async () => server.stop();
}
