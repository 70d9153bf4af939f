import { defineConfig } from "@playwright/test";

/**
 * Browser tests in Debian's Chromium against the real stack: a private redis-server, a town, a runner (sim model)
 * and `next start` — all started by e2e/global-setup.ts on free ports and stopped by PID afterwards.
 * The web app must be built first (`pnpm build`; `npm test` does it).
 */
export default defineConfig({
  testDir: "e2e",
  globalSetup: "./e2e/global-setup.ts",
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  // Inside the checkout (git-ignored): Playwright empties its output dir at start, so two checkouts must not share one.
  outputDir: "test-results",
  use: {
    browserName: "chromium",
    viewport: { width: 1440, height: 900 },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  projects: [
    // The flows first; the 5,000-task board fills the backlog, so it runs after them, and the screenshots last.
    { name: "flows", testIgnore: [/perf\.spec\.ts/, /screenshots\.spec\.ts/] },
    { name: "perf", testMatch: /perf\.spec\.ts/, dependencies: ["flows"] },
    { name: "screenshots", testMatch: /screenshots\.spec\.ts/, dependencies: ["perf"] },
  ],
});
