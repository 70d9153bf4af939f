/**
 * Test helper: a realistic claude session as activity events, the way the runner makes them — the runner's fixture
 * `claude-stream.mjs` run as a real process, its stdout read line by line through core's claude adapter.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

import { createAdapter, type ActivityEvent } from "@tinytown/core";

const FIXTURE = fileURLToPath(new URL("../../../apps/runner/test/fixtures/claude-stream.mjs", import.meta.url));

/** The events a `claude` run of `scenario` produces, and what the fixture reported as its total cost. */
export async function claudeFixtureEvents(
  scenario = "normal",
): Promise<{ events: ActivityEvent[]; reportedUsd: number | null }> {
  const child = spawn(process.execPath, [FIXTURE, "--scenario", scenario], {
    shell: false,
    stdio: ["pipe", "pipe", "ignore"],
    env: { ...process.env, TT_FIXTURE_DELAY_MS: "0" },
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  child.stdin.end("fix the login test");
  const adapter = createAdapter("claude-stream-json", { modelName: "claude" });
  const events: ActivityEvent[] = [];
  let reportedUsd: number | null = null;
  for await (const line of createInterface({ input: child.stdout })) {
    try {
      const j = JSON.parse(line) as { type?: string; total_cost_usd?: number };
      if (j.type === "result" && typeof j.total_cost_usd === "number") reportedUsd = j.total_cost_usd;
    } catch {
      // not JSON: the adapter makes it a raw line
    }
    events.push(...adapter.push(line));
  }
  events.push(...adapter.end(await exited));
  return { events, reportedUsd };
}
