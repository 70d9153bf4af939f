/**
 * The whole review loop through a real runner, in a town whose tasks run in git worktrees (the demo repository
 * `npm start` gives its town): a sim agent edits a file in its worktree, the board shows the diff in Review, Alice
 * asks for a change from the browser, Bob's board sees the card run again in the same worktree and come back, Bob
 * merges from the browser and the runner merges into main. Then two agents append to the same file at once: the first
 * merge goes in, the second card shows the conflict naming the file and its Merge is held.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

import type { Page } from "@playwright/test";

import { createTask, getTask, spawnAgent, findAgent, type Task, type Town } from "@tinytown/core";
import { expect, test, uniq } from "./fixtures";
import { OwnStack } from "./stack";

const ROOT = resolve(import.meta.dirname, "..");

let stack: OwnStack;
let repo: string;
test.beforeAll(async () => {
  test.setTimeout(120_000);
  stack = await new OwnStack().start(uniq("review"));
  // The demo repository of `npm start` (scripts/demo-repo.mjs): branch main, a few files; the town points at it.
  const demo = spawnSync(process.execPath, [join(ROOT, "scripts/demo-repo.mjs"), stack.dir], { encoding: "utf8" });
  if (demo.status !== 0) throw new Error(`demo repository: ${demo.stderr}`);
  repo = join(stack.dir, ".tt/demo-repo");
  await stack.startRunner();
});
test.afterAll(async () => {
  await stack?.stop();
});

const git = (...args: string[]) => {
  const r = spawnSync("git", ["-C", repo, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};

async function person(page: Page, name: string): Promise<Page> {
  await page.context().addCookies([{ name: "tt_name", value: name, url: stack.base }]);
  return page;
}

async function idleAgent(town: Town, name: string): Promise<void> {
  await spawnAgent(town, { name, model: "sim", by: "cli" });
  await expect.poll(async () => (await findAgent(town, name))?.state, { timeout: 20_000 }).toBe("idle");
}

const column = (page: Page, name: string) => page.getByTestId(`column-${name}`);
const reviewCard = (page: Page, id: string) => column(page, "review").getByTestId(`card-${id}`);

async function inReview(town: Town, id: string, attempt: number): Promise<Task> {
  await expect
    .poll(
      async () => {
        const t = await getTask(town, id);
        return t.state === "completed" && t.review?.status === "waiting" && t.workspace?.attempt === attempt;
      },
      { timeout: 30_000 },
    )
    .toBe(true);
  return getTask(town, id);
}

test("request changes from the browser, the agent runs again in the same worktree, merge by the runner", async ({
  page,
  browser,
}) => {
  test.setTimeout(150_000);
  const town = stack.town!;
  const alice = await person(page, "alice");
  const bob = await person(await (await browser.newContext()).newPage(), "bob");
  const agent = uniq("dev");
  await idleAgent(town, agent);
  await bob.goto(stack.base);
  await expect(bob.getByTestId("live-indicator")).toHaveAttribute("data-connected", "true");

  const task = await createTask(town, {
    description: "Add a health check: edit src/app.ts",
    assignTo: agent,
    by: "alice",
  });
  // The run ends, the runner captures it: the card shows up in Review with its stats on Bob's board, live.
  await expect(reviewCard(bob, task.id)).toBeVisible({ timeout: 30_000 });
  const seen = Date.now();
  const first = await inReview(town, task.id, 1);
  console.log(
    `run end → card in Review on the board: ${seen - first.completedAt!} ms (includes the poll of the board)`,
  );
  await expect(reviewCard(bob, task.id).getByTestId("card-changes")).toContainText(/\+1\s*−0\s*·\s*1 file/);
  const worktree = first.workspace!.worktree;
  expect(existsSync(worktree)).toBe(true);

  // Alice reads the diff and asks for a change.
  await alice.goto(`${stack.base}/tasks/${task.id}`);
  const tab = alice.getByTestId("changes-tab");
  await expect(tab.getByTestId("diff-src/app.ts")).toBeVisible();
  await expect(tab.getByTestId("merge-clean")).toBeVisible();
  await tab.getByTestId("request-changes").getByRole("textbox").fill("Also log the port it listens on");
  await tab.getByTestId("request-changes-submit").click();
  await expect(tab.getByTestId("review-status")).toContainText("Changes requested");

  // Bob's board: the card leaves Review, runs again, and comes back with both attempts' lines.
  await expect(reviewCard(bob, task.id)).toHaveCount(0, { timeout: 10_000 });
  const second = await inReview(town, task.id, 2);
  expect(second.attempts).toBe(2);
  expect(second.workspace!.worktree).toBe(worktree);
  await expect(reviewCard(bob, task.id).getByTestId("card-changes")).toContainText(/\+2\s*−0\s*·\s*1 file/, {
    timeout: 10_000,
  });

  // Bob merges from the browser; the runner merges into main and removes the worktree; both pages say so.
  await bob.goto(`${stack.base}/tasks/${task.id}`);
  const bobTab = bob.getByTestId("changes-tab");
  await expect(bobTab.getByTestId("merge-clean")).toBeVisible();
  await bobTab.getByTestId("merge").click();
  await expect(bobTab.getByTestId("review-status")).toContainText("Merged into main", { timeout: 30_000 });
  await expect(tab.getByTestId("review-status")).toContainText("Merged into main");
  const merged = await getTask(town, task.id);
  expect(merged.review).toMatchObject({ status: "merged" });
  const app = git("show", "main:src/app.ts");
  expect(app.trimEnd().split("\n").length).toBe(7); // the 5 lines of the demo file and one per attempt
  expect(git("log", "--format=%an", "-1", "main")).not.toBe("");
  await expect.poll(() => existsSync(worktree), { timeout: 10_000 }).toBe(false);
  await bob.context().close();
});

test("two agents append to the same file at once: the first merge goes in, the second shows the conflict", async ({
  page,
}) => {
  test.setTimeout(150_000);
  const town = stack.town!;
  const bob = await person(page, "bob");
  const [a1, a2] = [uniq("one"), uniq("two")];
  await Promise.all([idleAgent(town, a1), idleAgent(town, a2)]);
  const [t1, t2] = await Promise.all([
    createTask(town, { description: `Note it: edit src/utils/format.ts (${a1})`, assignTo: a1, by: "bob" }),
    createTask(town, { description: `Note it: edit src/utils/format.ts (${a2})`, assignTo: a2, by: "bob" }),
  ]);
  await Promise.all([inReview(town, t1.id, 1), inReview(town, t2.id, 1)]);
  // Each diff is its own agent's line only.
  for (const t of [t1, t2])
    expect((await getTask(town, t.id)).workspace).toMatchObject({ stats: { additions: 1, deletions: 0 } });

  await bob.goto(`${stack.base}/tasks/${t1.id}`);
  await bob.getByTestId("changes-tab").getByTestId("merge").click();
  await expect(bob.getByTestId("changes-tab").getByTestId("review-status")).toContainText("Merged into main", {
    timeout: 30_000,
  });

  // The runner checks the other waiting task again: its card and page name the conflicting file; Merge is held.
  await bob.goto(stack.base);
  await expect(reviewCard(bob, t2.id).getByTestId("card-conflict")).toBeVisible({ timeout: 30_000 });
  await bob.goto(`${stack.base}/tasks/${t2.id}`);
  const tab = bob.getByTestId("changes-tab");
  await expect(tab.getByTestId("merge-conflict")).toContainText("src/utils/format.ts");
  await expect(tab.getByTestId("merge")).toBeDisabled();
});
