/**
 * The Activity timeline and costs: a claude session (the runner's fixture stream through core's adapter and
 * recorder, as the runner records a run) shows live in two browsers; tool calls open with the keyboard; the raw
 * output is one click away; the card, the task page, the agent page and the overview show what it cost.
 */
import { completeTask, formatUsd } from "@tinytown/core";

import { audit } from "./axe";
import { claudeTask, recordClaudeRun } from "./claude-session";
import { card, expect, newPerson, test, uniq } from "./fixtures";

test("a claude session shows as a live timeline in two browsers, with its cost on the card", async ({
  page,
  context,
  town,
}) => {
  test.setTimeout(90_000);
  const name = uniq("claudia");
  const run = await claudeTask(town, {
    agentName: name,
    runner: uniq("e2e-claude"),
    description: "Fix the flaky login test",
  });
  const { task, agent } = run;

  const bob = await newPerson(context, "bob");
  for (const p of [page, bob]) {
    await p.goto(`/tasks/${task.id}`);
    await expect(p.getByTestId("live-indicator")).toHaveAttribute("data-connected", "true");
    await expect(p.getByTestId("task-state")).toHaveText("running");
  }

  let finished = 0;
  const recorded = recordClaudeRun(
    town,
    { runId: `${task.id}.1.e2e`, taskId: task.id, agentId: agent.id, model: "claude" },
    { delayMs: 250 },
  ).finally(() => (finished = Date.now()));
  const started = Date.now();
  // Both pages were open before the run's first event: whatever they show came through the live stream, no reload;
  // and the first words reach both while the session is still going.
  await Promise.all([page, bob].map((p) => p.getByTestId("activity-text").first().waitFor()));
  const seen = Date.now();
  expect(finished, "the first text showed only after the run ended").toBe(0);
  console.log(`activity: first text in both browsers ${seen - started} ms after the run started`);
  // The timeline is chosen once the run speaks a structured protocol.
  for (const p of [page, bob]) await expect(p.getByTestId("run-tab-activity")).toHaveAttribute("aria-selected", "true");
  const { reportedUsd, events } = await recorded;
  expect(reportedUsd).toBeGreaterThan(0);
  console.log(`activity: ${events} events recorded in ${Date.now() - started} ms; claude reported $${reportedUsd}`);

  for (const p of [page, bob]) {
    const timeline = p.getByTestId("activity");
    await expect(timeline.getByTestId("activity-count")).toHaveText(`${events} events`);
    await expect(timeline.getByTestId("activity-tool").first()).toBeVisible();
    // A failing tool call is marked as an error; a passing one ok.
    await expect(timeline.locator('[data-testid="activity-tool"][data-status="error"]').first()).toBeVisible();
    await expect(timeline.locator('[data-testid="activity-tool"][data-status="ok"]').first()).toBeVisible();
    await expect(timeline.getByTestId("activity-file").first()).toBeVisible();
    await expect(timeline.getByTestId("activity-turn-cost").first()).toBeVisible();
    await expect(p.getByTestId("task-cost")).toHaveText(formatUsd(reportedUsd));
  }

  // A tool call opens and closes with the keyboard, saying so to screen readers.
  const failed = page.locator('[data-testid="activity-tool"][data-status="error"]').first();
  const toggle = failed.getByRole("button");
  await toggle.focus();
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await page.keyboard.press("Enter");
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await expect(failed.getByTestId("activity-tool-output")).toBeVisible();

  expect(await audit(page, "activity timeline (light)")).toEqual([]);
  await page.emulateMedia({ colorScheme: "dark" });
  expect(await audit(page, "activity timeline (dark)")).toEqual([]);
  await page.emulateMedia({ colorScheme: "light" });

  // The raw output is one click away; the keyboard goes back.
  await page.getByTestId("run-tab-raw").click();
  await expect(page.getByTestId("log")).toBeVisible();
  await expect(page.getByTestId("activity")).toBeHidden();
  await page.keyboard.press("ArrowLeft");
  await expect(page.getByTestId("activity")).toBeVisible();

  // The run ends: its card shows what it cost, in both browsers.
  await completeTask(town, { taskId: task.id, result: "fixed", by: run.by });
  for (const p of [page, bob]) {
    await p.goto("/");
    await expect(card(p, task.id).getByTestId("card-cost")).toHaveText(`cost ${formatUsd(reportedUsd)}`);
  }

  // The agent's page: today and this week; the overview: today, this week and by model.
  await page.goto(`/agents/${name}`);
  await expect(page.getByTestId("agent-cost-today")).toHaveText(formatUsd(reportedUsd));
  await expect(page.getByTestId("agent-cost-week")).toHaveText(formatUsd(reportedUsd));
  await page.goto("/overview");
  await expect(page.getByTestId("cost-by-model")).toContainText("claude-sonnet-4-5");
  expect(await audit(page, "overview with costs")).toEqual([]);

  await bob.context().close();
  await run.done();
});
