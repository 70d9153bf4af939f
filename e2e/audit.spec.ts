/** The audit page is live and reads like sentences: who did what to which task, as it happens. */
import { createTask, moveTask, spawnAgent } from "@tinytown/core";
import { expect, test, uniq } from "./fixtures";

test("the audit page shows new events live, in plain words, without a reload", async ({ page, town }) => {
  const name = uniq("scribe");
  await page.goto("/audit");
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-status", "live");
  await page.evaluate(() => ((window as unknown as { __same: boolean }).__same = true));

  await spawnAgent(town, { name, model: "sim", by: "ada" });
  const title = `Fix login ${uniq("t")}`;
  const task = await createTask(town, { description: title, by: "ada" });
  await moveTask(town, {
    taskId: task.id,
    target: { kind: "agent", agent: name },
    expectedState: "pending",
    expectedVersion: task.version,
    by: "ada",
  });
  const audit = page.getByTestId("audit");
  await expect(audit.getByText(`ada spawned ${name} (sim)`)).toBeVisible({ timeout: 3_000 });
  await expect(audit.getByText(`ada created '${title}'`)).toBeVisible({ timeout: 3_000 });
  await expect(audit.getByText(`ada assigned '${title}' to ${name}`)).toBeVisible({ timeout: 3_000 });
  // Newest first.
  await expect(page.getByTestId("audit-text").first()).not.toContainText("spawned");
  expect(await page.evaluate(() => (window as unknown as { __same?: boolean }).__same)).toBe(true);

  // Filtered by actor, still in words.
  await page.getByTestId("audit-actor").fill("ada");
  await expect(page.getByTestId("audit-text").first()).toContainText("ada ");
});
