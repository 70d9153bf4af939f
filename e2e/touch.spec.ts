/**
 * A phone (Chromium's touch emulation: hasTouch, isMobile, 390×844): a quick swipe over a card scrolls and starts no
 * drag; a press-and-hold picks the card up and drops it on an agent; the card's "Move…" menu reaches the same moves
 * with a tap. Logs the time from the drop to the card showing as Running.
 */
import { createTask, resolveAgent, spawnAgent } from "@tinytown/core";
import type { CDPSession, Locator, Page } from "@playwright/test";

import { agent, card, column, expect, test, uniq } from "./fixtures";

test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

/** Centre of an element, in CSS pixels of the viewport. */
async function centre(l: Locator): Promise<{ x: number; y: number }> {
  const b = (await l.boundingBox())!;
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

type Point = { x: number; y: number };
const touch = (cdp: CDPSession, type: "touchStart" | "touchMove" | "touchEnd", p?: Point) =>
  cdp.send("Input.dispatchTouchEvent", { type, touchPoints: p ? [{ x: p.x, y: p.y }] : [] });

/** A finger: down at `from`, held `holdMs`, moved to `to` in `steps`, lifted. */
async function fingerDrag(page: Page, cdp: CDPSession, from: Point, to: Point, holdMs: number, steps = 12) {
  await touch(cdp, "touchStart", from);
  await page.waitForTimeout(holdMs);
  for (let i = 1; i <= steps; i++) {
    await touch(cdp, "touchMove", {
      x: from.x + ((to.x - from.x) * i) / steps,
      y: from.y + ((to.y - from.y) * i) / steps,
    });
    await page.waitForTimeout(16);
  }
  await touch(cdp, "touchEnd");
}

test("touch: a swipe scrolls, a press-and-hold drags a card onto an agent, the Move… menu assigns with a tap", async ({
  page,
  town,
}) => {
  const name = uniq("thumb");
  await spawnAgent(town, { name, model: "sim", by: "cli" });
  await expect.poll(async () => (await resolveAgent(town, name)).state, { timeout: 20_000 }).toBe("idle");
  const first = await createTask(town, { description: `Touch drag ${uniq("t")}`, priority: "urgent", by: "cli" });

  await page.goto("/");
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-status", "live");
  const cdp = await page.context().newCDPSession(page);
  const theCard = column(page, "backlog").getByTestId(`card-${first.id}`);
  await expect(theCard).toBeVisible();

  // A quick swipe (no hold) is a scroll, not a drag.
  const columns = page.getByTestId("columns");
  const before = await columns.evaluate((el) => el.scrollLeft);
  const start = await centre(theCard);
  await fingerDrag(page, cdp, start, { x: start.x - 200, y: start.y }, 0, 6);
  await page.waitForTimeout(400);
  expect(await page.evaluate(() => document.body.dataset.dragging ?? null)).toBeNull();
  expect(await columns.evaluate((el) => el.scrollLeft)).toBeGreaterThan(before);
  await columns.evaluate((el) => el.scrollTo({ left: 0 }));
  await expect(column(page, "backlog").getByTestId(`card-${first.id}`)).toBeVisible();

  // Press and hold, then drag onto the agent in the strip at the top.
  const target = agent(page, name);
  await target.scrollIntoViewIfNeeded();
  await fingerDrag(page, cdp, await centre(theCard), await centre(target), 350);
  const dropped = Date.now();
  await expect(column(page, "running").getByTestId(`card-${first.id}`)).toBeVisible({ timeout: 15_000 });
  console.log(`touch: from the drop to "Running" on a 390×844 touch screen: ${Date.now() - dropped} ms`);

  // The Move… menu: a tap on the card's ⋯, a tap on "Assign to <agent>".
  const second = await createTask(town, { description: `Touch menu ${uniq("t")}`, priority: "urgent", by: "cli" });
  await expect(column(page, "backlog").getByTestId(`card-${second.id}`)).toBeVisible();
  await page.getByTestId(`card-menu-${second.id}`).tap();
  const menu = page.getByTestId("move-menu");
  await expect(menu).toBeVisible();
  await menu.getByRole("menuitem", { name: `Assign to ${name}` }).tap();
  await expect(column(page, "backlog").getByTestId(`card-${second.id}`)).toHaveCount(0);
  await expect(card(page, second.id)).toHaveAttribute("data-state", /assigned|running|completed/);
});
