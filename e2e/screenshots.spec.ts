/**
 * Every page in its states at 1440×900 and 390×844, light and dark, as PNGs under /tmp/shots (not in the repo):
 * the board with a running, a done and a failed card, compact, with the move menu and a card in the air, offline;
 * the first-run board; the task, agent, audit, users, overview, messages, queues, not-found and sign-in pages; the
 * dialogs.
 */
import { mkdirSync } from "node:fs";

import type { Page } from "@playwright/test";

import { addUser, createTask, failTask, listAgents, resolveAgent, spawnAgent, startTask } from "@tinytown/core";
import { expect, test, uniq } from "./fixtures";
import { OwnStack } from "./stack";

const OUT = process.env.SHOTS_DIR ?? "/tmp/shots";
const VIEWPORTS = [
  { name: "desktop", width: 1440, height: 900 },
  { name: "mobile", width: 390, height: 844 },
] as const;
const SCHEMES = ["light", "dark"] as const;

async function live(page: Page) {
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-status", "live");
}

/** Every (scheme, viewport) pair, with the page set up for it. */
async function eachLook(page: Page, fn: (tag: string, vp: (typeof VIEWPORTS)[number]) => Promise<void>) {
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await fn(`${vp.name}-${scheme}`, vp);
    }
  }
}

test("screenshots of every page in every state", async ({ page, town }) => {
  test.setTimeout(300_000);
  mkdirSync(OUT, { recursive: true });
  const shot = (name: string) => page.screenshot({ path: `${OUT}/${name}.png` });

  // A town with something in every column: a running card (sim runs 4 s; a long task keeps one running), a done
  // card, a failed one with its reason.
  const worker = uniq("worker");
  const spawned = await spawnAgent(town, { name: worker, model: "sim", by: "ada" });
  await expect.poll(async () => (await resolveAgent(town, worker)).state, { timeout: 20_000 }).toBe("idle");
  const failing = await createTask(town, {
    description: "Migrate the billing tables to the new schema",
    tags: ["db", "billing"],
    priority: "high",
    assignTo: worker,
    by: "ada",
  });
  await startTask(town, { taskId: failing.id, agentId: spawned.id, by: "runner:shots" }).catch(() => null);
  await failTask(town, {
    taskId: failing.id,
    error: "exit 1: migration 0042 failed: column billing.amount is not nullable",
    by: "runner:shots",
  });
  await createTask(town, {
    description: "Screenshot task: add a /healthz endpoint that checks Redis and reports the version.",
    priority: "high",
    tags: ["api", "ops"],
    by: "ada",
  });
  const done = (await town.redis.zrevrange(town.keys.tasksByState("completed"), 0, 0))[0] ?? failing.id;
  const agentName = (await listAgents(town)).find((a) => a.tasksCompleted > 0)?.name ?? worker;

  const pages = [
    { name: "overview", path: "/overview", ready: "overview-page" },
    { name: "messages", path: "/messages", ready: "messages-page" },
    { name: "queues", path: "/queues", ready: "queues-page" },
    { name: "audit", path: "/audit", ready: "audit-page" },
    { name: "users", path: "/users", ready: "users-page" },
    { name: "agent", path: `/agents/${agentName}`, ready: "agent-page" },
    { name: "task", path: `/tasks/${done}`, ready: "task-page" },
    { name: "task-failed", path: `/tasks/${failing.id}`, ready: "task-page" },
    { name: "not-found", path: "/tasks/ffffffff-3333", ready: "not-found" },
  ];

  await eachLook(page, async (tag) => {
    // The board with a card running (assigned now, so it runs while the shots are taken).
    await createTask(town, { description: `Write the release notes for ${tag}`, assignTo: worker, by: "ada" });
    await page.goto("/");
    await live(page);
    await expect(page.getByTestId("column-running").locator("[data-task-id]").first()).toBeVisible({
      timeout: 15_000,
    });
    await page.waitForTimeout(1_200); // the running card's clock and last line
    await shot(`board-${tag}`);

    await page.getByTestId("density").click();
    await shot(`board-compact-${tag}`);
    await page.getByTestId("density").click();

    const card = page.getByTestId("column-backlog").locator("[data-task-id]").first();
    const id = await card.getAttribute("data-task-id");
    await page.getByTestId(`card-menu-${id}`).click();
    await expect(page.getByTestId("move-menu")).toBeVisible();
    await shot(`board-move-menu-${tag}`);
    await page.keyboard.press("Escape");

    // A card in the air over an agent: only the targets that take it light up.
    await card.focus();
    await page.keyboard.press("Space");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await page.waitForTimeout(200);
    await shot(`board-dragging-${tag}`);
    await page.keyboard.press("Escape");

    for (const p of pages) {
      await page.goto(p.path);
      await expect(page.getByTestId(p.ready)).toBeVisible();
      await live(page);
      await page.waitForTimeout(300);
      await shot(`${p.name}-${tag}`);
    }

    await page.goto("/");
    await live(page);
    await page.keyboard.press("c");
    await expect(page.getByTestId("create-dialog")).toBeVisible();
    await shot(`create-dialog-${tag}`);
    await page.keyboard.press("Escape");
    await page.getByTestId("spawn-open").click();
    await page.getByTestId("spawn-dialog").getByTestId("model-claude").click();
    await expect(page.getByTestId("spawn-install-hint")).toBeVisible();
    await shot(`spawn-dialog-${tag}`);
    await page.keyboard.press("Escape");
  });
});

test("screenshots of a new town: first steps, offline, sign-in", async ({ page }) => {
  test.setTimeout(180_000);
  mkdirSync(OUT, { recursive: true });
  const stack = await new OwnStack().start(uniq("shots"));
  try {
    await page.context().addCookies([{ name: "tt_name", value: "ada", url: stack.base }]);
    await eachLook(page, async (tag) => {
      await page.goto(stack.base);
      await live(page);
      await expect(page.getByTestId("onboarding")).toBeVisible();
      await page.screenshot({ path: `${OUT}/board-empty-${tag}.png` });
    });
    await stack.stopRedis();
    await eachLook(page, async (tag) => {
      await page.goto(stack.base);
      await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-status", "offline", { timeout: 10_000 });
      await page.screenshot({ path: `${OUT}/board-offline-${tag}.png` });
    });
    await stack.startRedis();
    await expect.poll(() => stack.town!.redis.status, { timeout: 10_000 }).toBe("ready");
    await addUser(stack.town!, { name: "ada", role: "admin", password: "a-long-password", by: "cli" });
    await eachLook(page, async (tag) => {
      await page.goto(`${stack.base}/login`);
      await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
      await page.screenshot({ path: `${OUT}/login-${tag}.png` });
    });
  } finally {
    await stack.stop();
  }
});
