/**
 * A new town's board says what to do first — spawn a simulated agent, create a task, drag it onto the agent — and
 * ticks the steps off as they happen; the guide leaves once a task has been given to an agent.
 */
import { expect, test, uniq } from "./fixtures";
import { OwnStack } from "./stack";

let stack: OwnStack;
test.beforeAll(async () => {
  stack = await new OwnStack().start(uniq("first"));
});
test.afterAll(async () => {
  await stack.stop();
});

test("the empty board's three steps, followed from the guide itself", async ({ page }) => {
  await page.context().addCookies([{ name: "tt_name", value: "nina", url: stack.base }]);
  await page.goto(stack.base);
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-status", "live");
  const guide = page.getByTestId("onboarding");
  await expect(guide).toBeVisible();
  for (const n of [1, 2, 3])
    await expect(guide.getByTestId(`onboarding-step-${n}`)).toHaveAttribute("data-done", "false");

  await guide.getByTestId("onboarding-spawn").click();
  const spawn = page.getByTestId("spawn-dialog");
  await spawn.getByLabel("Name").fill("first-agent");
  await spawn.getByTestId("spawn-submit").click();
  await expect(guide.getByTestId("onboarding-step-1")).toHaveAttribute("data-done", "true");

  await guide.getByTestId("onboarding-create").click();
  await page.getByTestId("create-dialog").getByRole("textbox").first().fill("My first task");
  await page.keyboard.press("Control+Enter");
  await expect(guide.getByTestId("onboarding-step-2")).toHaveAttribute("data-done", "true");

  const card = page.getByTestId("column-backlog").locator("[data-task-id]").first();
  const id = await card.getAttribute("data-task-id");
  await page.getByTestId(`card-menu-${id}`).click();
  await page.getByRole("menuitem", { name: "Assign to first-agent" }).click();
  await expect(guide).toHaveCount(0);
  await expect(page.getByTestId("column-assigned").getByTestId(`card-${id}`)).toBeVisible();
});
