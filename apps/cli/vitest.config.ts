import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["@tinytown/core/testing/global-setup"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
