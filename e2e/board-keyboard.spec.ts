import { createTask } from "@tinytown/core";
import { agent, column, expect, openBoard, test, uniq } from "./fixtures";

test("keyboard only: spawn an agent, create a task, move it onto the agent, watch it complete", async ({ page }) => {
  const name = uniq("keys");
  const text = `Write the changelog (${name})`;
  await openBoard(page);

  // Spawn with `a`.
  await page.keyboard.press("a");
  await expect(page.getByTestId("spawn-dialog")).toBeVisible();
  await page.keyboard.type(name);
  await page.keyboard.press("Enter"); // sim is preselected
  await expect(page.getByTestId("spawn-dialog")).toBeHidden();
  await expect(agent(page, name)).toHaveAttribute("data-state", "idle", { timeout: 20_000 });

  // Create with `c`.
  await page.keyboard.press("c");
  await expect(page.getByTestId("create-dialog")).toBeVisible();
  await page.keyboard.type(text);
  await page.keyboard.press("Control+Enter");
  await expect(page.getByTestId("create-dialog")).toBeHidden();
  const created = column(page, "backlog").locator("[data-task-id]", { hasText: text });
  await expect(created).toBeVisible();
  const taskId = (await created.getAttribute("data-task-id"))!;

  // Narrow the board to this card with `/`, then focus it with `j`.
  await page.keyboard.press("/");
  await page.keyboard.type(name);
  await page.keyboard.press("Escape");
  await page.keyboard.press("j");
  await expect(page.getByTestId(`card-${taskId}`)).toBeFocused();

  // Space picks it up; Tab/arrows step through the targets until our agent is under it; Space drops.
  await page.keyboard.press("Space");
  let reached = false;
  for (let i = 0; i < 30 && !reached; i++) {
    await page.keyboard.press("Tab");
    // Read once React has committed this step (two frames), not a render behind.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    reached = (await agent(page, name).getAttribute("data-over")) === "true";
  }
  expect(reached).toBe(true);
  await page.keyboard.press("Space");
  // The focus goes with the card to its new column (not to the page).
  await expect(page.getByTestId(`card-${taskId}`)).toBeFocused();
  await expect(page.getByTestId(`card-${taskId}`)).toHaveAttribute("data-state", /assigned|running/);

  await expect(column(page, "running").getByTestId(`card-${taskId}`)).toBeVisible({ timeout: 10_000 });
  await expect(page.getByTestId("board-status")).toContainText("moved to agent");
  await expect(column(page, "done").getByTestId(`card-${taskId}`)).toBeVisible({ timeout: 15_000 });

  // Open it with Enter: the output is there.
  await page.keyboard.press("j");
  await expect(page.getByTestId(`card-${taskId}`)).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("task-state")).toHaveText("completed");
  await expect(page.getByTestId("log-line").first()).toBeVisible();
});

test("keyboard drag: Escape cancels and nothing changes", async ({ page, town }) => {
  const t = await createTask(town, { description: `Stay put ${uniq("esc")}`, priority: "urgent", by: "cli" });
  await openBoard(page);
  const el = page.getByTestId(`card-${t.id}`);
  await el.focus();
  await page.keyboard.press("Space");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Escape");
  await expect(column(page, "backlog").getByTestId(`card-${t.id}`)).toBeVisible();
  await expect(el).toHaveAttribute("data-version", String(t.version));
});
