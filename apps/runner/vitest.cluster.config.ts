/**
 * `pnpm test:cluster`: the runner's integration tests against a private 3-master Redis Cluster (TT_TEST_CLUSTER=1
 * makes core's global setup start one; fixture towns get its `redis+cluster://` URL, so in-process runners and the
 * runner processes of runner-processes.test.ts connect with Cluster clients). Nothing is excluded: every test here
 * runs on the shared test Redis.
 */
import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

export default defineConfig({ ...base, test: { ...base.test } });
