/**
 * The "Needs you" inbox in two browsers: a fixture agent asks with `tt ask` (through the runner's agent API), the
 * question shows up in both within a second, one person takes it (the other sees who, live), answers with an option,
 * the item closes for both, and the agent runs again with the answer in its prompt and completes. Then screenshots.
 */
import { mkdirSync } from "node:fs";

import type { Page } from "@playwright/test";

import { createTask, failTask, findAgent, getTask, listNeeds, spawnAgent, startTask } from "@tinytown/core";
import { card, expect, newPerson, test, uniq } from "./fixtures";

const SHOTS = "/tmp/shots-w14";

async function openNeeds(page: Page): Promise<void> {
  await page.goto("/needs");
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-connected", "true");
  await expect(page.getByTestId("needs-page")).toBeVisible();
}

test("an agent's question reaches two browsers at once; one takes it and answers; the agent goes on", async ({
  page,
  context,
  town,
}) => {
  const bob = await newPerson(context, "bob");
  await openNeeds(page);
  await openNeeds(bob);

  const name = uniq("asker");
  const agent = await spawnAgent(town, { name, model: "asker", by: "e2e" });
  await expect.poll(async () => (await findAgent(town, agent.id))?.state, { timeout: 20_000 }).toBe("idle");
  const question = `Which colour for the ${uniq("logo")}?`;
  const task = await createTask(town, { description: question, assignTo: agent.id, by: "alice" });

  // The moment the question is in Redis, then both browsers show it: within a second.
  await expect
    .poll(async () => (await listNeeds(town)).items.some((n) => n.title === question), { intervals: [20] })
    .toBe(true);
  const asked = Date.now();
  const inAlice = page.getByTestId("need").filter({ hasText: question });
  const inBob = bob.getByTestId("need").filter({ hasText: question });
  await Promise.all([expect(inAlice).toBeVisible({ timeout: 1_000 }), expect(inBob).toBeVisible({ timeout: 1_000 })]);
  console.log(`question visible in both browsers ${Date.now() - asked} ms after it was recorded`);
  await expect(page.getByTestId("needs-count")).toBeVisible();
  expect((await getTask(town, task.id)).state).toBe("assigned"); // parked: no process while it waits
  // On the board its card says so.
  const board = await context.newPage();
  await board.goto("/");
  await expect(card(board, task.id).getByTestId("card-status")).toContainText("waiting for a human");
  await board.close();

  // Alice takes it; Bob sees that at once and cannot take it any more.
  await inAlice.getByTestId("claim").click();
  await expect(inBob.getByTestId("claimed-by")).toHaveText("alice took it");
  await expect(inBob.getByTestId("claim")).toHaveCount(0);
  await expect(inAlice.getByTestId("claimed-by")).toHaveText("You took it");

  // She answers with one of the agent's options: the item closes for both.
  await inAlice.getByRole("button", { name: "Green" }).click();
  await Promise.all([expect(inAlice).toHaveCount(0), expect(inBob).toHaveCount(0)]);

  // The agent runs again with the answer in its prompt, and completes with it.
  await expect.poll(async () => (await getTask(town, task.id)).state, { timeout: 20_000 }).toBe("completed");
  const done = await getTask(town, task.id);
  expect(done.attempts).toBe(2);
  expect(done.result).toContain("going on with the answer: Green");
  await bob.context().close();
});

test("screenshots of the inbox: desktop and phone, light and dark", async ({ page, town }) => {
  mkdirSync(SHOTS, { recursive: true });
  // A failed task and a budget stop beside whatever else is open.
  const name = uniq("worker");
  const agent = await spawnAgent(town, { name, model: "claude", by: "e2e" });
  for (const [text, error] of [
    ["Migrate the billing tables", 'exit code 1: relation "invoices" does not exist'],
    ["Rewrite the search index", "budget reached: task $2.00 of $2.00"],
  ] as const) {
    const t = await createTask(town, { description: text, assignTo: agent.id, by: "alice" });
    await startTask(town, { taskId: t.id, agentId: agent.id, by: "runner:e2e" });
    await failTask(town, { taskId: t.id, error, by: "runner:e2e" });
  }
  const asker = await spawnAgent(town, { name: uniq("asker"), model: "asker", by: "e2e" });
  await expect.poll(async () => (await findAgent(town, asker.id))?.state, { timeout: 20_000 }).toBe("idle");
  await createTask(town, { description: "Should the API keep v1 endpoints?", assignTo: asker.id, by: "alice" });
  await expect
    .poll(async () => (await listNeeds(town)).items.some((n) => n.kind === "question"), { timeout: 20_000 })
    .toBe(true);

  for (const [label, viewport] of [
    ["1440x900", { width: 1440, height: 900 }],
    ["390x844", { width: 390, height: 844 }],
  ] as const) {
    for (const scheme of ["light", "dark"] as const) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      await openNeeds(page);
      await expect(page.getByTestId("need").first()).toBeVisible();
      const first = page.getByTestId("need").filter({ hasText: "Should the API keep v1 endpoints?" });
      if ((await first.getByTestId("claim").count()) > 0) await first.getByTestId("claim").click();
      await expect(first.getByTestId("answer")).toBeVisible();
      await page.screenshot({ path: `${SHOTS}/needs-${label}-${scheme}.png` });
    }
  }
});
