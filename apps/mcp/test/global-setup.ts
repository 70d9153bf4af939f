/** Builds dist/ (the stdio tests spawn the real bin), then core's Redis setup. */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import type {} from "@tinytown/core/testing";
import coreSetup from "@tinytown/core/testing/global-setup";

export default async function setup(project: TestProject) {
  execFileSync(process.execPath, ["build.mjs"], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    stdio: "inherit",
  });
  return coreSetup(project);
}
