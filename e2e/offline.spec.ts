/**
 * The board says what is true about its connection: "live" only while the stream is open and the town's Redis
 * answers; "reconnecting…" at once and "offline — changes are paused" within 3 s when the Redis or the dashboard's
 * server goes away; no move, new task or spawn while offline; live again without a reload when they come back.
 */
import { createTask } from "@tinytown/core";
import type { Page } from "@playwright/test";

import { expect, test, uniq } from "./fixtures";
import { OwnStack } from "./stack";

test.describe.configure({ mode: "serial" });

let stack: OwnStack;
test.beforeAll(async () => {
  stack = await new OwnStack().start(uniq("offline"));
});
test.afterAll(async () => {
  await stack.stop();
});

async function openOwnBoard(page: Page): Promise<void> {
  await page.context().addCookies([{ name: "tt_name", value: "olga", url: stack.base }]);
  await page.goto(stack.base);
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-status", "live");
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
}

const sameDocument = (page: Page) =>
  page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);

test("the town's Redis stops: offline within 3 s, changes paused, a reload says so too; back without reload", async ({
  page,
}) => {
  const task = await createTask(stack.town!, { description: `Offline ${uniq("card")}`, by: "cli" });
  await openOwnBoard(page);
  const card = page.getByTestId(`card-${task.id}`);
  await expect(card).toHaveAttribute("aria-roledescription", "draggable task");
  await expect(page.getByTestId("create-open")).toBeEnabled();

  const lost = Date.now();
  await stack.stopRedis();
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-status", "offline", { timeout: 3_000 });
  console.log(`offline: the board said "offline" ${Date.now() - lost} ms after Redis stopped`);
  await expect(page.getByTestId("live-indicator")).toContainText("offline — changes are paused");
  await expect(page.getByTestId("offline-banner")).toContainText("Redis is unreachable");
  await expect(page.getByTestId("create-open")).toBeDisabled();
  await expect(card).toHaveAttribute("aria-roledescription", "task");
  await expect(page.getByTestId(`card-menu-${task.id}`)).toHaveCount(0);

  // A second tab opened now: no sign-in form, no claim of open access, the same honest state.
  const other = await page.context().newPage();
  await other.goto(stack.base);
  await expect(other.getByTestId("live-indicator")).toHaveAttribute("data-status", "offline", { timeout: 5_000 });
  await expect(other.getByRole("button", { name: "Sign in" })).toHaveCount(0);
  await expect(other.getByTestId("open-access")).toHaveCount(0);

  const back = Date.now();
  await stack.startRedis();
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-status", "live", { timeout: 15_000 });
  console.log(`offline: live again ${Date.now() - back} ms after Redis came back`);
  expect(await sameDocument(page)).toBe(true);
  await expect(page.getByTestId("create-open")).toBeEnabled();
  await expect(card).toHaveAttribute("aria-roledescription", "draggable task");
  // And it is really live: a change made now shows up in both tabs, the one rendered while offline included.
  const later = await createTask(stack.town!, { description: `After ${uniq("card")}`, by: "cli" });
  await expect(page.getByTestId(`card-${later.id}`)).toBeVisible({ timeout: 5_000 });
  await expect(other.getByTestId("live-indicator")).toHaveAttribute("data-status", "live", { timeout: 15_000 });
  await expect(other.getByTestId(`card-${later.id}`)).toBeVisible({ timeout: 5_000 });
  await expect(other.getByTestId("create-open")).toBeEnabled();
  await other.close();
});

test("the dashboard's server stops: reconnecting… at once, offline within 3 s, live again when it is back", async ({
  page,
}) => {
  await openOwnBoard(page);
  const lost = Date.now();
  await stack.stopWeb();
  const exited = Date.now();
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-status", /reconnecting|offline/, {
    timeout: 3_000,
  });
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-status", "offline", { timeout: 3_000 });
  console.log(
    `offline: the board said "offline" ${Date.now() - lost} ms after SIGTERM to the server (${Date.now() - exited} ms after it exited)`,
  );
  await expect(page.getByTestId("create-open")).toBeDisabled();

  await stack.startWeb();
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-status", "live", { timeout: 15_000 });
  expect(await sameDocument(page)).toBe(true);
  const task = await createTask(stack.town!, { description: `Back ${uniq("card")}`, by: "cli" });
  await expect(page.getByTestId(`card-${task.id}`)).toBeVisible({ timeout: 5_000 });
});
