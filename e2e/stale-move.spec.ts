import type { Route } from "@playwright/test";
import { cancelTask, createTask, getTask } from "@tinytown/core";
import { card, column, expect, mouseDrag, openBoard, test, uniq } from "./fixtures";

test("a stale move is refused with a visible message and the board shows the truth", async ({ page, town }) => {
  const task = await createTask(town, { description: `Contested ${uniq("stale")}`, priority: "urgent", by: "cli" });
  await openBoard(page);
  await expect(card(page, task.id)).toBeVisible();

  // While the card is in the air, someone cancels the task from the CLI.
  await mouseDrag(page, card(page, task.id), column(page, "failed"), {
    beforeDrop: async () => {
      await cancelTask(town, { taskId: task.id, by: "bob-from-cli" });
      await page.waitForTimeout(300);
    },
  });

  const alert = page.getByRole("alert").filter({ hasText: "changed meanwhile" });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText("cancelled");
  // The refused move changed nothing: the task is as bob left it (one change, by bob).
  const now = await getTask(town, task.id);
  expect(now.state).toBe("cancelled");
  expect(now.updatedBy).toBe("bob-from-cli");
  await expect(column(page, "failed").getByTestId(`card-${task.id}`)).toBeVisible();
  await expect(column(page, "failed").getByTestId(`card-${task.id}`)).toHaveAttribute(
    "data-version",
    String(now.version),
  );
});

test("a move the page made on stale data (its refetch failed) is refused and rolled back", async ({ page, town }) => {
  const task = await createTask(town, { description: `Offline ${uniq("stale")}`, priority: "urgent", by: "cli" });
  await page.goto("/");
  await expect(card(page, task.id)).toBeVisible();
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-status", "live");

  // The page hears about the change but cannot refetch its columns: it keeps showing the card as it first loaded it.
  const blockColumns = (route: Route) => route.abort();
  await page.route(/\/api\/trpc\/[^?]*task\.column/, blockColumns);
  await cancelTask(town, { taskId: task.id, by: "carol" });
  await page.waitForTimeout(2_000); // the event came, and the refetch and its retries failed
  await expect(column(page, "backlog").getByTestId(`card-${task.id}`)).toBeVisible(); // still stale on screen

  await mouseDrag(page, card(page, task.id), column(page, "failed"));
  await expect(page.getByRole("alert").filter({ hasText: "changed meanwhile" })).toBeVisible();
  await page.unroute(/\/api\/trpc\/[^?]*task\.column/, blockColumns);
  await expect(page.getByRole("alert").filter({ hasText: "changed meanwhile" })).toContainText("It is now cancelled");
  await expect(column(page, "failed").getByTestId(`card-${task.id}`)).toBeVisible();
  expect((await getTask(town, task.id)).updatedBy).toBe("carol");
});
