/** Every runner log line is neutralised (issue 9, finding 11): text from a message can neither drive nor forge it. */
import { describe, expect, test } from "vitest";
import { findAgent, sendMessage, spawnAgent } from "@tinytown/core";
import { fixtureTown, waitFor, cleanupAfterEach } from "../test/helpers";
import { createLogger } from "./log";
import { startRunner } from "./runner";

const EVIL = "\u001b[2J\u001b[31mmallory\u0007\r\n2026-01-01T00:00:00.000Z info  [runner x] forged line\u202e";

const cleanup = cleanupAfterEach();

function expectNeutral(line: string): void {
  expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
}

describe("runner log lines", () => {
  test("control characters are made visible and newlines cannot start a forged line", () => {
    const lines: string[] = [];
    const log = createLogger("debug", "[runner t]", (l) => lines.push(l));
    log.info(`hello ${EVIL}`);
    log.error("failed", new Error(EVIL));
    expect(lines).toHaveLength(2);
    for (const l of lines) expectNeutral(l);
    expect(lines[0]).toContain(
      "␛[2J␛[31mmallory\\u0007\\u000d\\n2026-01-01T00:00:00.000Z info  [runner x] forged line\\u202e",
    );
    expect(lines[1]).toMatch(/^\S+ error \[runner t\] failed: Error: ␛\[2J/);
  });

  test("a message whose sender and body carry escape sequences reaches the log neutralised", async () => {
    const ft = await fixtureTown();
    cleanup(() => ft.town.close());
    const lines: string[] = [];
    const runner = await startRunner(ft.town, {
      log: createLogger("debug", "[runner t]", (l) => lines.push(l)),
      heartbeatMs: 300,
      reconcileMs: 500,
    });
    cleanup(() => runner.stop(0));
    const agent = await spawnAgent(ft.town, { name: "target", model: "ok", by: "cli" });
    await waitFor("agent idle", async () => (await findAgent(ft.town, agent.id))?.state === "idle");
    await sendMessage(ft.town, { to: "target", from: EVIL, type: "shutdown", body: EVIL });
    const line = await waitFor("the shutdown logged", () => lines.find((l) => l.includes("shutdown requested by")));
    expect(line).toContain("shutdown requested by ␛[2J␛[31mmallory");
    for (const l of lines) expectNeutral(l);
  });
});
