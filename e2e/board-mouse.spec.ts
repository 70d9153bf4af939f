import { createTask } from "@tinytown/core";
import { agent, card, column, expect, mouseDrag, openBoard, spawnInUI, test, uniq } from "./fixtures";

test("spawn a sim agent, drag a card onto it with the mouse, watch it run and complete", async ({ page, town }) => {
  const name = uniq("mouse");
  const task = await createTask(town, {
    description: `Add a health check (${name})`,
    priority: "urgent",
    tags: ["e2e"],
    by: "cli",
  });

  await openBoard(page);
  await spawnInUI(page, name);
  await expect(agent(page, name).getByTestId("model-badge")).toContainText("simulated");
  await expect(column(page, "backlog").getByTestId(`card-${task.id}`)).toBeVisible();

  await mouseDrag(page, card(page, task.id), agent(page, name));

  // Optimistic: in Assigned at once; then the runner starts it and it completes, all live.
  await expect(
    column(page, "assigned")
      .getByTestId(`card-${task.id}`)
      .or(column(page, "running").getByTestId(`card-${task.id}`)),
  ).toBeVisible({ timeout: 2_000 });
  await expect(column(page, "running").getByTestId(`card-${task.id}`)).toBeVisible({ timeout: 10_000 });
  await expect(agent(page, name)).toHaveAttribute("data-state", "working");
  await expect(agent(page, name).getByTestId("agent-current")).toContainText(name);

  // Live output on the agent's page while it runs.
  await agent(page, name).getByRole("link", { name }).first().click();
  await expect(page.getByTestId("agent-page")).toBeVisible();
  await expect(page.getByTestId("log-line").first()).toBeVisible({ timeout: 5_000 });
  await expect(page.getByTestId("log")).toContainText("simulated agent");

  // …and it completes: the task page shows the result and the full history.
  await page.goto(`/tasks/${task.id}`);
  await expect(page.getByTestId("task-state")).toHaveText("completed", { timeout: 15_000 });
  await expect(page.getByTestId("task-result")).toBeVisible();
  await expect(page.getByTestId("history")).toContainText("alice");
  await expect(page.getByTestId("log")).toContainText("Simulated: done");

  await page.goto("/");
  await expect(column(page, "done").getByTestId(`card-${task.id}`)).toBeVisible();
});
