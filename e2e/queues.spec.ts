import { createTask, listQueues, spawnAgent } from "@tinytown/core";
import { expect, test, uniq } from "./fixtures";

test("the queues page shows an agent's queue live; pausing and resuming it works (open access = admin)", async ({
  page,
  town,
}) => {
  const name = uniq("queued");
  await spawnAgent(town, { name, model: "sim", by: "cli" });
  await page.goto("/queues");
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-connected", "true");
  const row = page.getByTestId(`queue-${name}`);
  await expect(row).toBeVisible();
  // The runner picks the agent up: it goes idle, live, without a reload.
  await expect(row).toHaveAttribute("data-state", "idle", { timeout: 20_000 });
  await expect(row.getByTestId("queue-assigned")).toHaveText("0");

  // Admin actions are enabled with open access.
  await row.getByTestId("queue-clean").click();
  await expect(page.getByText(`${name}: cleaned`)).toBeVisible();

  await row.getByTestId("queue-pause").click();
  await expect(row).toHaveAttribute("data-state", "paused");
  await expect(row.getByTestId("queue-paused")).toBeVisible();
  // The runner pauses the BullMQ queue of a paused agent.
  await expect
    .poll(async () => (await listQueues(town)).find((q) => q.agent === name)?.paused, { timeout: 15_000 })
    .toBe(true);
  await expect(row.getByTestId("queue-paused")).toHaveText("paused", { timeout: 15_000 });

  // Work assigned behind the page's back (as the CLI would) waits in the paused queue; the counts update live.
  const task = await createTask(town, { description: `queued work ${name}`, assignTo: name, by: "cli" });
  await expect(row.getByTestId("queue-assigned")).toHaveText("1");
  await expect(row.getByTestId("queue-waiting")).toHaveText("1");

  await row.getByTestId("queue-resume").click();
  await expect(row).not.toHaveAttribute("data-state", "paused");
  await expect(row.getByTestId("queue-pause")).toBeVisible();
  // Resumed, the agent takes the task: it leaves the queue.
  await expect(row.getByTestId("queue-assigned")).toHaveText("0", { timeout: 20_000 });
  await expect(row.getByTestId("queue-paused")).toHaveCount(0, { timeout: 15_000 });
  await expect(page.getByText(task.id.slice(0, 8))).toHaveCount(0);
});
