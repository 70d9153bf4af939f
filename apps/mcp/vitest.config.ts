import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Builds dist/ (the stdio test runs the real bin), then one private redis-server for the run (or REDIS_URL).
    globalSetup: ["./test/global-setup.ts"],
    // The stdio tests start the real bin (a node process each); a loaded machine makes that slow.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
