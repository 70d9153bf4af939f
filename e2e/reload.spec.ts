import { assignTask, createTask, spawnAgent } from "@tinytown/core";
import { agent, column, expect, openBoard, test, uniq } from "./fixtures";

test("reload mid-run: the board and the task page recover and follow the run to the end", async ({ page, town }) => {
  const name = uniq("reload");
  await spawnAgent(town, { name, model: "sim", by: "cli" });
  await openBoard(page);
  await expect(agent(page, name)).toHaveAttribute("data-state", "idle", { timeout: 20_000 });

  const task = await createTask(town, { description: `Long job ${name}`, priority: "urgent", by: "cli" });
  await assignTask(town, { taskId: task.id, agent: name, by: "cli" });
  await expect(column(page, "running").getByTestId(`card-${task.id}`)).toBeVisible({ timeout: 10_000 });

  await page.reload();
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-connected", "true");
  await expect(
    column(page, "running")
      .getByTestId(`card-${task.id}`)
      .or(column(page, "done").getByTestId(`card-${task.id}`)),
  ).toBeVisible();

  await page.goto(`/tasks/${task.id}`);
  await expect(page.getByTestId("log-line").first()).toBeVisible({ timeout: 5_000 });
  const before = await page.getByTestId("log-line").count();
  await page.reload();
  // After the reload the output starts again from the first line and carries on live.
  await expect(page.getByTestId("log")).toContainText("simulated agent");
  await expect(page.getByTestId("task-state")).toHaveText("completed", { timeout: 15_000 });
  await expect(page.getByTestId("log")).toContainText("Simulated: done");
  expect(await page.getByTestId("log-line").count()).toBeGreaterThanOrEqual(before);
  // No line twice.
  const lines = await page.getByTestId("log-line").allTextContents();
  expect(new Set(lines).size).toBe(lines.length);
});
