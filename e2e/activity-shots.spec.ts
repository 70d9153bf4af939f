/**
 * The Activity timeline and the costs at 1440×900 and 390×844, light and dark, as PNGs under /tmp/shots-w13 (not in
 * the repo): the task page (timeline with a tool call open, cost panel, budget), a card with its cost, the agent page
 * and the overview.
 */
import { mkdirSync } from "node:fs";

import { completeTask, setBudget } from "@tinytown/core";

import { claudeTask, recordClaudeRun } from "./claude-session";
import { card, expect, test, uniq } from "./fixtures";

const OUT = process.env.SHOTS_DIR ?? "/tmp/shots-w13";
const LOOKS = [
  { name: "desktop", width: 1440, height: 900 },
  { name: "mobile", width: 390, height: 844 },
] as const;

test("screenshots of the activity timeline and costs", async ({ page, town }) => {
  test.setTimeout(180_000);
  mkdirSync(OUT, { recursive: true });
  const name = uniq("claudia");
  const run = await claudeTask(town, {
    agentName: name,
    runner: uniq("shots"),
    description: "Fix the flaky login test",
  });
  const { task, agent } = run;
  await recordClaudeRun(town, { runId: `${task.id}.1.shots`, taskId: task.id, agentId: agent.id, model: "claude" });
  await setBudget(town, { scope: "task", ref: task.id, usd: 0.1, by: "ada" });
  await setBudget(town, { scope: "agent", ref: agent.id, usd: 5, by: "ada" });
  await setBudget(town, { scope: "town", usd: 25, by: "ada" });

  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const vp of LOOKS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      const tag = `${vp.name}-${scheme}`;
      await page.goto(`/tasks/${task.id}`);
      await expect(page.getByTestId("activity-text").first()).toBeVisible();
      await page.locator('[data-testid="activity-tool"][data-status="error"]').first().getByRole("button").click();
      await page.getByTestId("task-usage").scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${OUT}/task-activity-${tag}.png` });
      await page.getByTestId("activity").scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${OUT}/task-timeline-${tag}.png` });
      await page.goto(`/agents/${name}`);
      await expect(page.getByTestId("agent-usage")).toBeVisible();
      await page.screenshot({ path: `${OUT}/agent-${tag}.png` });
      await page.goto("/overview");
      await expect(page.getByTestId("town-usage")).toBeVisible();
      await page.getByTestId("town-usage").scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${OUT}/overview-${tag}.png` });
    }
  }
  await completeTask(town, { taskId: task.id, result: "fixed", by: run.by });
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const vp of LOOKS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await page.goto("/");
      await card(page, task.id).scrollIntoViewIfNeeded();
      await expect(card(page, task.id).getByTestId("card-cost")).toBeVisible();
      await page.screenshot({ path: `${OUT}/board-${vp.name}-${scheme}.png` });
    }
  }
  await run.done();
});
