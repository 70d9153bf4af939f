/**
 * Shared test setup: the base URL and town directory come from global-setup.ts (environment variables); each
 * browser context starts with a display name in the `tt_name` cookie; `town` is a core connection to the same
 * town, for changes made "behind the page's back" (as the CLI or another person would).
 */
import { randomBytes } from "node:crypto";

import { test as base, expect, type BrowserContext, type Locator, type Page } from "@playwright/test";

import { connectTown, type Town } from "@tinytown/core";

export { expect };

export const test = base.extend<{ town: Town; actor: string }>({
  // eslint-disable-next-line no-empty-pattern
  baseURL: async ({}, use) => use(process.env.E2E_BASE_URL),
  actor: ["alice", { option: true }],
  context: async ({ context, baseURL, actor }, use) => {
    await context.addCookies([{ name: "tt_name", value: actor, url: baseURL! }]);
    await use(context);
  },
  // eslint-disable-next-line no-empty-pattern
  town: async ({}, use) => {
    const town = await connectTown({
      env: { TT_TOWN_DIR: process.env.E2E_TOWN_DIR, REDIS_URL: process.env.E2E_REDIS_URL },
    });
    await use(town);
    await town.close();
  },
});

/** A short unique suffix, so every test's tasks and agents are its own. */
export const uniq = (prefix: string) => `${prefix}-${randomBytes(3).toString("hex")}`;

/** A second person in their own browser context, with their own name. */
export async function newPerson(context: BrowserContext, name: string): Promise<Page> {
  const browser = context.browser()!;
  const other = await browser.newContext({ baseURL: process.env.E2E_BASE_URL, viewport: { width: 1440, height: 900 } });
  await other.addCookies([{ name: "tt_name", value: name, url: process.env.E2E_BASE_URL! }]);
  return other.newPage();
}

export const card = (page: Page, taskId: string) => page.getByTestId(`card-${taskId}`);
export const column = (page: Page, name: string) => page.getByTestId(`column-${name}`);
export const agent = (page: Page, name: string) => page.getByTestId(`agent-${name}`);

/** Waits for the board to be live (the SSE connection is open). */
export async function openBoard(page: Page): Promise<void> {
  await page.goto("/");
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-connected", "true");
}

/** Spawns an agent through the dialog and waits until a runner has picked it up (idle). */
export async function spawnInUI(page: Page, name: string): Promise<void> {
  await page.getByTestId("spawn-open").click();
  const dialog = page.getByTestId("spawn-dialog");
  await dialog.getByLabel("Name").fill(name);
  await expect(dialog.getByTestId("model-sim")).toContainText("simulated");
  await dialog.getByTestId("model-sim").click();
  await dialog.getByTestId("spawn-submit").click();
  await expect(dialog).toBeHidden();
  await expect(agent(page, name)).toHaveAttribute("data-state", "idle", { timeout: 20_000 });
}

/** A real mouse drag (pointer down, several moves, up), as dnd-kit's PointerSensor needs. */
export async function mouseDrag(
  page: Page,
  from: Locator,
  to: Locator,
  opts: { beforeDrop?: () => Promise<void> } = {},
): Promise<void> {
  const a = (await from.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 10, a.y + a.height / 2 + 10, { steps: 3 });
  const b = (await to.boundingBox())!;
  await page.mouse.move(b.x + b.width / 2, b.y + Math.min(b.height / 2, 60), { steps: 12 });
  await opts.beforeDrop?.();
  // Re-measure: the target may have moved while the card was in the air.
  const c = (await to.boundingBox())!;
  await page.mouse.move(c.x + c.width / 2, c.y + Math.min(c.height / 2, 60), { steps: 2 });
  await page.mouse.up();
}
