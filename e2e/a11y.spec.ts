/**
 * Accessibility as a test: axe-core over every page (and the dialogs and the move menu), light and dark, 1440 and 390
 * wide. No serious or critical violation, and none of the landmark and heading rules the issue found broken.
 */
import { createTask, listAgents, spawnAgent } from "@tinytown/core";
import { audit } from "./axe";
import { expect, test, uniq } from "./fixtures";

test("axe: every page, light and dark, 1440 and 390 wide, has no serious or critical violation", async ({
  page,
  town,
}) => {
  test.setTimeout(240_000);
  if ((await listAgents(town)).length === 0) await spawnAgent(town, { name: uniq("a11y"), model: "sim", by: "cli" });
  const agentName = (await listAgents(town))[0]!.name;
  const task = await createTask(town, {
    description: `Accessible task ${uniq("a")}\n\nWith a second paragraph.`,
    tags: ["a11y"],
    priority: "high",
    by: "cli",
  });
  const pages = [
    { name: "board", path: "/", ready: "board" },
    { name: "overview", path: "/overview", ready: "overview-page" },
    { name: "messages", path: "/messages", ready: "messages-page" },
    { name: "queues", path: "/queues", ready: "queues-page" },
    { name: "audit", path: "/audit", ready: "audit-page" },
    { name: "users", path: "/users", ready: "users-page" },
    { name: "agent", path: `/agents/${agentName}`, ready: "agent-page" },
    { name: "task", path: `/tasks/${task.id}`, ready: "task-page" },
    { name: "not-found", path: "/tasks/ffffffff-2222", ready: "not-found" },
  ];
  const problems: string[] = [];
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const vp of [
      { width: 1440, height: 900 },
      { width: 390, height: 844 },
    ]) {
      await page.setViewportSize(vp);
      for (const p of pages) {
        await page.goto(p.path);
        await expect(page.getByTestId(p.ready)).toBeVisible();
        await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-status", "live");
        problems.push(...(await audit(page, `${p.name} ${scheme} ${vp.width}`)));
      }
      // The dialogs and the move menu, over the board.
      await page.goto("/");
      await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-status", "live");
      for (const [open, id] of [
        ["create-open", "create-dialog"],
        ["spawn-open", "spawn-dialog"],
      ] as const) {
        await page.getByTestId(open).click();
        await expect(page.getByTestId(id)).toBeVisible();
        problems.push(...(await audit(page, `${id} ${scheme} ${vp.width}`)));
        await page.keyboard.press("Escape");
      }
      await page.getByTestId(`card-menu-${task.id}`).click();
      await expect(page.getByTestId("move-menu")).toBeVisible();
      problems.push(...(await audit(page, `move-menu ${scheme} ${vp.width}`)));
      await page.keyboard.press("Escape");
    }
  }
  expect(problems).toEqual([]);
});
