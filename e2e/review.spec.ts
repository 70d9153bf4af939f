/**
 * Reviewing an agent's changes in two browsers: Alice asks for a change on a line, Bob's board shows the card go
 * back to Running live; the next round conflicts with the base, Bob sees the conflicting file before he can
 * merge, asks the agent to rebase in one click, and merges the clean result with squash.
 *
 * The runs are real (the sim model on the e2e runner); what they leave on a branch is seeded with core's workspace
 * functions on a real git repository (review-seed.ts), as a runner with workspaces does at the end of a run. Each
 * seed step first checks whether a runner already did it, so the spec holds with or without the runner's wiring.
 */
import { createTask, getTask, spawnAgent, type Task, type Town } from "@tinytown/core";

import { column, expect, newPerson, openBoard, test, uniq } from "./fixtures";
import { git, seedMerge, seedMergeCheck, seedRepo, seedRun, type SeedRepo } from "./review-seed";

async function settled(town: Town, taskId: string, ms = 30_000): Promise<Task> {
  const deadline = Date.now() + ms;
  for (;;) {
    const t = await getTask(town, taskId);
    if (t.state === "completed" || t.state === "failed") return t;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${t.state} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The run ended: record what it left, unless a runner already recorded this attempt's changes. */
async function afterRun(town: Town, repo: SeedRepo, taskId: string, agent: string, files: Record<string, string>) {
  const t = await settled(town, taskId);
  expect(t.state).toBe("completed");
  if (t.workspace?.attempt === t.attempts && t.review?.status === "waiting") return t;
  return seedRun(town, repo, t, agent, files);
}

const APP = "export function greet(name: string) {\n  return `hello ${name}`;\n}\n";

test("request changes on a line, see it live elsewhere, see the conflict before merging, rebase, squash-merge", async ({
  page,
  context,
  town,
}) => {
  test.setTimeout(120_000);
  const name = uniq("rev");
  await spawnAgent(town, { name, model: "sim", by: "cli" });
  const repo = await seedRepo(town, { "src/greet.ts": APP, "README.md": "# demo\n" });
  const bob = await newPerson(context, "bob");
  try {
    const task = await createTask(town, { description: `Greet politely ${uniq("t")}`, assignTo: name, by: "alice" });
    await afterRun(town, repo, task.id, name, {
      "src/greet.ts": "export function greet(name: string) {\n  return `Hello, ${name}!`;\n}\n\nexport const x = 1;\n",
      "src/polite.ts": "export const please = true;\n",
    });

    // Bob's board: the card waits in Review with its stats.
    await openBoard(bob);
    const bobCard = column(bob, "review").getByTestId(`card-${task.id}`);
    await expect(bobCard).toBeVisible();
    await expect(bobCard.getByTestId("card-changes")).toContainText(/\+4\s*−1\s*·\s*2 files/);

    // Alice: the Changes tab, a comment on line 5 of greet.ts, Request changes.
    await page.goto(`/tasks/${task.id}`);
    await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-connected", "true");
    const tab = page.getByTestId("changes-tab");
    await expect(tab.getByTestId("file-list")).toContainText("src/polite.ts");
    const diff = tab.getByTestId("diff-src/greet.ts");
    await expect(diff).toContainText("Hello");
    const line = diff.locator("tr", { has: page.locator('[data-line-new-num="5"]') });
    await line.hover();
    await line.locator(".diff-add-widget").click();
    await tab.getByTestId("comment-box").getByRole("textbox").fill("Drop x: nothing uses it");
    await tab.getByTestId("comment-box").getByRole("button", { name: "Add comment" }).click();
    await expect(tab.getByTestId("draft-comment")).toContainText("Drop x");
    await tab.getByTestId("request-changes-submit").click();
    await expect(tab.getByTestId("review-status")).toContainText("Changes requested");

    // Bob sees the card leave Review and run again, without a reload.
    await expect(column(bob, "running").getByTestId(`card-${task.id}`)).toBeVisible({ timeout: 10_000 });
    await expect(column(bob, "review").getByTestId(`card-${task.id}`)).toHaveCount(0);
    const requested = await getTask(town, task.id);
    expect(requested.review).toMatchObject({ by: "alice", round: 1 });
    // Alice's page shows her comment under its line, sent.
    await expect(tab.getByTestId("line-comment")).toContainText("Drop x: nothing uses it");
    // Side by side, the comment stays under its line (the old side has none: nothing breaks).
    await tab.getByRole("button", { name: "Split" }).click();
    await expect(tab.getByTestId("line-comment")).toContainText("Drop x: nothing uses it");
    await expect(tab.getByTestId("diff-src/greet.ts").locator('[data-line-num="5"]')).toBeVisible();

    // Meanwhile another change lands on main, in the same lines: the next round conflicts.
    repo.commitOnMain("Greet loudly", { "src/greet.ts": APP.replace("hello", "HELLO") });
    await afterRun(town, repo, task.id, name, {
      "src/greet.ts": "export function greet(name: string) {\n  return `Hello, ${name}!`;\n}\n",
    });
    expect(await seedMergeCheck(town, repo, task.id)).toEqual(["src/greet.ts"]);

    // Bob: the card is back in Review with a conflict marker; the task page names the file, Merge is held.
    await expect(bobCard.getByTestId("card-conflict")).toBeVisible();
    await bobCard.click();
    await expect(bob).toHaveURL(new RegExp(`/tasks/${task.id}`));
    const bobTab = bob.getByTestId("changes-tab");
    await expect(bobTab.getByTestId("merge-conflict")).toContainText("src/greet.ts");
    await expect(bobTab.getByTestId("merge")).toBeDisabled();

    // One click: the agent is asked to rebase (a change request with a prepared comment) and runs again.
    await bobTab.getByTestId("ask-rebase").click();
    await expect(bobTab.getByTestId("review-status")).toContainText("Changes requested", { timeout: 5_000 });
    const rebase = await getTask(town, task.id);
    expect(rebase.review).toMatchObject({ status: "changes_requested", by: "bob", round: 2 });

    // The agent's rebase: main merged into its branch, its own version kept.
    const wt = rebase.workspace!.worktree;
    await settled(town, task.id);
    git(wt, "-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "merge", "--quiet", "-X", "ours", "main");
    await afterRun(town, repo, task.id, name, {
      "src/greet.ts": "export function greet(name: string) {\n  return `Hello, ${name}!`;\n}\n",
    });
    expect(await seedMergeCheck(town, repo, task.id)).toEqual([]);

    // Bob sees it clean, picks squash and merges; Alice's page follows live.
    await expect(bobTab.getByTestId("merge-clean")).toBeVisible();
    await bobTab.getByTestId("merge-strategy").selectOption("squash");
    await bobTab.getByTestId("merge").click();
    await expect(bobTab.getByTestId("merge-panel")).toHaveAttribute("data-status", /approved|merged/);
    const merged = await seedMerge(town, repo, task.id, name);
    expect(merged.review).toMatchObject({ status: "merged", strategy: "squash" });
    await expect(bobTab.getByTestId("review-status")).toContainText("Merged into main");
    await expect(tab.getByTestId("review-status")).toContainText("Merged into main");
    expect(git(repo.dir, "show", "main:src/greet.ts")).toContain("Hello, ${name}!");
  } finally {
    await bob.context().close();
    repo.remove();
  }
});

test("discard asks first, then drops the changes, attributed", async ({ page, town }) => {
  const name = uniq("rev");
  await spawnAgent(town, { name, model: "sim", by: "cli" });
  const repo = await seedRepo(town, { "a.txt": "a\n" });
  try {
    const task = await createTask(town, { description: `Discard me ${uniq("t")}`, assignTo: name, by: "alice" });
    await afterRun(town, repo, task.id, name, { "a.txt": "b\n" });
    await page.goto(`/tasks/${task.id}`);
    const tab = page.getByTestId("changes-tab");
    await tab.getByTestId("discard").click();
    const dialog = page.getByTestId("discard-dialog");
    await expect(dialog).toContainText("cannot be merged afterwards");
    await dialog.getByRole("button", { name: "Keep them" }).click();
    expect((await getTask(town, task.id)).review?.status).toBe("waiting");
    await tab.getByTestId("discard").click();
    await dialog.getByTestId("discard-confirm").click();
    await expect(tab.getByTestId("review-status")).toContainText("Discarded");
    expect((await getTask(town, task.id)).review).toMatchObject({ status: "discarded", by: "alice" });
  } finally {
    repo.remove();
  }
});
