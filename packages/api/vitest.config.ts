import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Router tests run against a real redis-server; starting one can take a moment on a cold machine.
    testTimeout: 15_000,
    hookTimeout: 30_000,
    passWithNoTests: true,
  },
});
