import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["./src/testing/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // *.cluster.test.ts need a Redis Cluster: only `pnpm test:cluster` (vitest.cluster.config.ts) runs them.
    exclude: [...configDefaults.exclude, "**/*.cluster.test.ts"],
  },
});
