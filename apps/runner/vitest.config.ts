import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Runner tests launch real processes and watch memory: run files one at a time.
    fileParallelism: false,
  },
});
