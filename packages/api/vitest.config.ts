import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // One private redis-server for the run (or REDIS_URL), shared with core's tests.
    globalSetup: ["@tinytown/core/testing/global-setup"],
    // Router tests run against a real redis-server; starting one can take a moment on a cold machine.
    testTimeout: 15_000,
    hookTimeout: 30_000,
  },
});
