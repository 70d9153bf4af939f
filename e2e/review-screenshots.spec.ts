/**
 * The task page's Changes at 1440×900 and 390×844, light and dark, as PNGs under /tmp/shots-w12 (not in the
 * repo): a review waiting with a clean dry run and a draft line comment, unified and split; a conflict; the board's
 * Review column. Runs in the screenshots project (`--no-deps` to run it alone).
 */
import { mkdirSync } from "node:fs";

import { createTask, getTask, spawnAgent, type Town } from "@tinytown/core";

import { column, expect, test, uniq } from "./fixtures";
import { seedMergeCheck, seedRepo, seedRun } from "./review-seed";

const OUT = process.env.SHOTS_DIR ?? "/tmp/shots-w12";
const LOOKS = [
  { name: "desktop", width: 1440, height: 900 },
  { name: "mobile", width: 390, height: 844 },
] as const;

const BEFORE = `import { Redis } from "ioredis";

/** Counts sign-in attempts per address. */
export async function allow(redis: Redis, ip: string): Promise<boolean> {
  const n = await redis.incr(\`login:\${ip}\`);
  return n <= 5;
}
`;
const AFTER = `import { Redis } from "ioredis";

import { limiter } from "./lib/limit";

/** Counts sign-in attempts per address, in a sliding window of one minute. */
export async function allow(redis: Redis, ip: string): Promise<boolean> {
  const key = \`login:\${ip}\`;
  const n = await redis.incr(key);
  if (n === 1) await redis.pexpire(key, 60_000);
  return limiter.check(n, { max: 5 });
}
`;

async function settled(town: Town, id: string) {
  await expect.poll(async () => (await getTask(town, id)).state, { timeout: 30_000 }).toBe("completed");
  return getTask(town, id);
}

test("screenshots of the Changes tab", async ({ page, town, browser }) => {
  test.setTimeout(180_000);
  mkdirSync(OUT, { recursive: true });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const name = uniq("shots");
  await spawnAgent(town, { name, model: "sim", by: "ada" });
  const repo = await seedRepo(town, { "src/login.ts": BEFORE, "README.md": "# demo\n\nSign in.\n" });
  try {
    const clean = await createTask(town, { description: "Add rate limiting to /api/login", assignTo: name, by: "ada" });
    const conflict = await createTask(town, { description: "Fix the flaky login test", assignTo: name, by: "ada" });
    await seedRun(town, repo, await settled(town, clean.id), name, {
      "src/login.ts": AFTER,
      "src/lib/limit.ts": "export const limiter = {\n  check: (n: number, o: { max: number }) => n <= o.max,\n};\n",
      "README.md": "# demo\n\nSign in (at most 5 attempts a minute).\n",
    });
    await seedMergeCheck(town, repo, clean.id);
    await seedRun(town, repo, await settled(town, conflict.id), name, { "README.md": "# demo\n\nSign in!\n" });
    repo.commitOnMain("Docs", { "README.md": "# demo\n\nSign in, or sign up.\n" });
    await seedMergeCheck(town, repo, conflict.id);

    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const vp of LOOKS) {
        await page.setViewportSize({ width: vp.width, height: vp.height });
        const tag = `${vp.name}-${scheme}`;
        await page.goto(`/tasks/${clean.id}`);
        const tab = page.getByTestId("changes-tab");
        await expect(tab.getByTestId("merge-clean")).toBeVisible();
        await tab.scrollIntoViewIfNeeded();
        const line = tab.locator("tr", { has: page.locator('[data-line-new-num="9"]') }).first();
        await line.hover();
        await line.locator(".diff-add-widget").click();
        await tab.getByTestId("comment-box").getByRole("textbox").fill("Use the existing limiter's window too");
        await page.locator("#changes").scrollIntoViewIfNeeded();
        await page.screenshot({ path: `${OUT}/changes-comment-${tag}.png` });
        await tab.getByTestId("comment-box").getByRole("button", { name: "Add comment" }).click();
        await page.getByRole("button", { name: "split" }).click();
        await tab.getByTestId("draft-comment").scrollIntoViewIfNeeded();
        await page.screenshot({ path: `${OUT}/changes-split-${tag}.png` });
        await page.screenshot({ path: `${OUT}/changes-full-${tag}.png`, fullPage: true });

        await page.goto(`/tasks/${conflict.id}`);
        await expect(page.getByTestId("merge-conflict")).toBeVisible();
        await page.getByTestId("merge-panel").scrollIntoViewIfNeeded();
        await page.screenshot({ path: `${OUT}/changes-conflict-${tag}.png` });

        await page.goto("/");
        await expect(column(page, "review").getByTestId(`card-${conflict.id}`)).toBeVisible();
        await page.screenshot({ path: `${OUT}/board-review-${tag}.png` });
      }
    }

    // A phone: no hover, so each changed line's "+" is shown; a tap opens the comment box.
    const phone = await browser.newContext({
      baseURL: process.env.E2E_BASE_URL,
      viewport: { width: 390, height: 844 },
      hasTouch: true,
      isMobile: true,
    });
    await phone.addCookies([{ name: "tt_name", value: "ada", url: process.env.E2E_BASE_URL! }]);
    const tap = await phone.newPage();
    await tap.goto(`/tasks/${clean.id}`);
    const row = tap.locator("tr", { has: tap.locator('[data-line-new-num="7"]') }).first();
    await row.scrollIntoViewIfNeeded();
    await expect(row.locator(".diff-add-widget")).toBeVisible();
    await row.locator(".diff-add-widget").tap();
    await expect(tap.getByTestId("comment-box")).toBeVisible();
    await tap.screenshot({ path: `${OUT}/changes-touch-mobile-light.png` });
    await phone.close();
    expect(errors).toEqual([]);
  } finally {
    repo.remove();
  }
});
