import { column, expect, openBoard, test, uniq } from "./fixtures";

test("create tasks from the dialog, then filter and search them", async ({ page }) => {
  const run = uniq("cf");
  await openBoard(page);

  // One from the button, with priority and tags; one with the `c` shortcut.
  await page.getByTestId("create-open").click();
  let dialog = page.getByTestId("create-dialog");
  await dialog.getByLabel("What should be done?").fill(`Fix the login redirect ${run}`);
  await dialog.getByLabel("Priority").selectOption("high");
  await dialog.getByLabel("Tags").fill(`auth, ${run}`);
  await dialog.getByTestId("create-submit").click();
  await expect(dialog).toBeHidden();

  await page.keyboard.press("c");
  dialog = page.getByTestId("create-dialog");
  await dialog.getByLabel("What should be done?").fill(`Document the API ${run} <script>alert(1)</script>`);
  await dialog.getByLabel("Priority").selectOption("low");
  await dialog.getByLabel("Tags").fill(`docs ${run}`);
  await dialog.getByTestId("create-submit").click();
  await expect(dialog).toBeHidden();

  const backlog = column(page, "backlog");
  const login = backlog.locator("[data-task-id]", { hasText: "Fix the login redirect" }).filter({ hasText: run });
  const docs = backlog.locator("[data-task-id]", { hasText: "Document the API" }).filter({ hasText: run });
  await expect(login).toBeVisible();
  await expect(docs).toBeVisible();
  // User text is text: the <script> shows literally.
  await expect(docs).toContainText("<script>alert(1)</script>");

  // Search narrows to this run's two cards; then each filter narrows further.
  await page.getByTestId("search").fill(run);
  await expect(page.locator("[data-task-id]")).toHaveCount(2);
  await page.getByTestId("filter-priority").selectOption("high");
  await expect(page.locator("[data-task-id]")).toHaveCount(1);
  await expect(login).toBeVisible();
  await page.getByTestId("filter-priority").selectOption("");
  await page.getByTestId("filter-tag").selectOption("docs");
  await expect(page.locator("[data-task-id]")).toHaveCount(1);
  await expect(docs).toBeVisible();
  await page.getByTestId("filter-state").selectOption("completed");
  await expect(page.locator("[data-task-id]")).toHaveCount(0);
  await page.getByTestId("filters-clear").click();
  await expect(page.getByTestId("search")).toHaveValue("");

  // The help dialog lists the shortcuts.
  await page.keyboard.press("?");
  await expect(page.getByTestId("help-dialog")).toContainText("Create a task");
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("help-dialog")).toBeHidden();
});

test("the first visit asks for a display name and attributes changes to it", async ({ browser }) => {
  const ctx = await browser.newContext({ baseURL: process.env.E2E_BASE_URL });
  const page = await ctx.newPage();
  await page.goto("/");
  const dialog = page.getByTestId("name-dialog");
  await expect(dialog).toBeVisible();
  await dialog.getByLabel("Display name").fill("Dana");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("actor")).toContainText("Dana");
  expect((await ctx.cookies()).find((c) => c.name === "tt_name")?.value).toBe("Dana");
  await page.reload();
  await expect(page.getByTestId("name-dialog")).toBeHidden();
  await expect(page.getByTestId("actor")).toContainText("Dana");
  await ctx.close();
});
