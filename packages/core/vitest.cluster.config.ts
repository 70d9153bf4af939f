/**
 * `pnpm test:cluster`: the same integration suites against a private 3-master Redis Cluster (TT_TEST_CLUSTER=1
 * makes the global setup start one and testTown use `redis.cluster: true`). Excluded, because they do not run on
 * the shared test Redis at all:
 * - town/town.test.ts — the managed redis-server (`tt init` starts, kills and restarts its own single server);
 * - redis/keys.test.ts — starts its own single server to inspect its whole keyspace (towns with and without hash
 *   tags side by side); on the cluster, slots.cluster.test.ts checks the hash tags instead.
 * Skipped in place (describe.skipIf(onCluster())): channel.test.ts "Redis restart" — restarts a private single server.
 */
import { configDefaults, defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // Replaces the base exclude (which leaves out *.cluster.test.ts): mergeConfig would concatenate the lists.
    exclude: [...configDefaults.exclude, "src/town/town.test.ts", "src/redis/keys.test.ts"],
  },
});
