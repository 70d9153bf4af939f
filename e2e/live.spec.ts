import { createTask } from "@tinytown/core";
import { column, expect, mouseDrag, newPerson, openBoard, test, uniq } from "./fixtures";

test("two browsers: a move in one appears in the other without reload, as does a task created from the CLI", async ({
  page,
  context,
  town,
}) => {
  const bob = await newPerson(context, "bob");
  await openBoard(page);
  await openBoard(bob);

  // Created "from the CLI" (core, as `tt` does): both boards show it live.
  const created = Date.now();
  const task = await createTask(town, { description: `Shared card ${uniq("live")}`, priority: "urgent", by: "cli" });
  await expect(column(page, "backlog").getByTestId(`card-${task.id}`)).toBeVisible({ timeout: 2_000 });
  await expect(column(bob, "backlog").getByTestId(`card-${task.id}`)).toBeVisible({ timeout: 2_000 });
  console.log(`live: CLI-created task visible in both browsers after ${Date.now() - created} ms`);

  // Alice drags it onto Cancelled; Bob sees it move, with no reload.
  const marker = await bob.evaluate(() => ((window as unknown as { __marker: number }).__marker = Math.random()));
  await mouseDrag(page, page.getByTestId(`card-${task.id}`), column(page, "failed"));
  const dropped = Date.now();
  await expect(column(bob, "failed").getByTestId(`card-${task.id}`)).toBeVisible({ timeout: 1_000 });
  console.log(`live: a move in one browser reached the other in ${Date.now() - dropped} ms`);
  await expect(column(bob, "backlog").getByTestId(`card-${task.id}`)).toHaveCount(0);
  expect(await bob.evaluate(() => (window as unknown as { __marker: number }).__marker)).toBe(marker); // same document: no reload

  // And back: Bob retries it (Failed/Cancelled → Backlog); Alice sees it.
  await mouseDrag(bob, bob.getByTestId(`card-${task.id}`), column(bob, "backlog"));
  await expect(column(page, "backlog").getByTestId(`card-${task.id}`)).toBeVisible({ timeout: 1_000 });
  await bob.context().close();
});
