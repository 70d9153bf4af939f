/** Every page at 1440×900 and 390×844, light and dark, as PNGs under /tmp/shots (not in the repo). */
import { mkdirSync } from "node:fs";

import { createTask, listAgents, spawnAgent } from "@tinytown/core";
import { expect, test } from "./fixtures";

const OUT = process.env.SHOTS_DIR ?? "/tmp/shots";
const VIEWPORTS = [
  { name: "desktop", width: 1440, height: 900 },
  { name: "mobile", width: 390, height: 844 },
];

test("screenshots of every page", async ({ page, town }) => {
  test.setTimeout(180_000);
  mkdirSync(OUT, { recursive: true });
  let agents = await listAgents(town);
  if (agents.length === 0) {
    await spawnAgent(town, { name: "shot-agent", model: "sim", by: "cli" });
    agents = await listAgents(town);
  }
  const a = agents.find((x) => x.tasksCompleted > 0) ?? agents[0]!;
  const t = await createTask(town, {
    description:
      "Screenshot task: add a /healthz endpoint that checks Redis and reports the version.\n\nKeep it under 50 ms.",
    priority: "high",
    tags: ["api", "ops"],
    by: "cli",
  });
  const done = (await town.redis.zrevrange(town.keys.tasksByState("completed"), 0, 0))[0] ?? t.id;

  const pages = [
    { name: "board", path: "/", ready: "[data-testid=board]" },
    { name: "overview", path: "/overview", ready: "[data-testid=overview-page]" },
    { name: "messages", path: "/messages", ready: "[data-testid=messages-page]" },
    { name: "queues", path: "/queues", ready: "[data-testid=queues-page]" },
    { name: "agent", path: `/agents/${a.name}`, ready: "[data-testid=agent-page]" },
    { name: "task", path: `/tasks/${done}`, ready: "[data-testid=task-page]" },
  ];
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      for (const p of pages) {
        await page.goto(p.path);
        await expect(page.locator(p.ready)).toBeVisible();
        await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-connected", "true");
        await page.waitForTimeout(400);
        await page.screenshot({ path: `${OUT}/${p.name}-${vp.name}-${scheme}.png` });
      }
      await page.goto("/");
      // Shortcuts work once the page is hydrated; the live indicator turning green says so.
      await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-connected", "true");
      await page.keyboard.press("c");
      await expect(page.getByTestId("create-dialog")).toBeVisible();
      await page.screenshot({ path: `${OUT}/create-dialog-${vp.name}-${scheme}.png` });
      await page.keyboard.press("Escape");
      await page.getByTestId("spawn-open").click();
      await expect(page.getByTestId("spawn-dialog")).toBeVisible();
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${OUT}/spawn-dialog-${vp.name}-${scheme}.png` });
      await page.keyboard.press("Escape");
    }
  }
});
