/**
 * Builds dist/ (the runner processes of the multi-runner tests run the real bin) and the CLI's (agents report
 * with `tt`, which the runner's launcher runs from apps/cli), then core's Redis setup.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import type {} from "@tinytown/core/testing";
import coreSetup from "../../../packages/core/src/testing/global-setup";

export default async function setup(project: TestProject) {
  execFileSync(process.execPath, ["build.mjs"], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    stdio: "inherit",
  });
  execFileSync(process.execPath, ["build.mjs"], {
    cwd: fileURLToPath(new URL("../../cli", import.meta.url)),
    stdio: "inherit",
  });
  return coreSetup(project);
}
