/**
 * `tt send` wakes an idle agent (the seed walkthrough: worker-1 acts on "Please update the README"), `tt assign`
 * records a task_assign message, and `tt needs` lists, claims and answers, with `tt status` saying a question waits.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  askHuman,
  connectTown,
  getTask,
  listTasks,
  markAgentReady,
  peek,
  startTask,
  findAgent,
  type Town,
} from "@tinytown/core";
import { tt, townDir } from "./testing";

let dir: string;
let town: Town;
beforeAll(async () => {
  ({ dir } = await townDir());
  town = await connectTown({ cwd: dir, env: {} });
});
afterAll(() => town.close());

test("tt send to an idle agent starts an inbox round for it; tt assign records task_assign", async () => {
  const spawned = JSON.parse((await tt(dir, ["--json", "spawn", "worker-1", "--model", "sim"])).out) as { id: string };
  // No runner in this test: make the agent idle as a runner would.
  await markAgentReady(town, { agent: (await findAgent(town, spawned.id))!, runner: "r-test", by: "runner:r-test" });
  expect((await tt(dir, ["send", "worker-1", "Please update the README"])).code).toBe(0);
  const rounds = (await listTasks(town, { agent: "worker-1" })).items.filter((t) => t.tags.includes("inbox"));
  expect(rounds).toHaveLength(1);
  expect(rounds[0]!.state).toBe("assigned");

  const r = await tt(dir, ["--json", "assign", "worker-1", "Fix the login page"]);
  const task = JSON.parse(r.out) as { id: string };
  const assign = (await peek(town, spawned.id)).find((m) => m.type === "task_assign");
  expect(assign).toMatchObject({ correlationId: task.id, data: { taskId: task.id } });
  // task_assign never wakes: still one round.
  expect((await listTasks(town, { agent: "worker-1" })).items.filter((t) => t.tags.includes("inbox"))).toHaveLength(1);
});

test("tt needs lists a question, claims it by prefix, answers it; tt status says it waits", async () => {
  const a = JSON.parse((await tt(dir, ["--json", "spawn", "asker", "--model", "claude"])).out) as { id: string };
  await markAgentReady(town, { agent: (await findAgent(town, a.id))!, runner: "r-test", by: "runner:r-test" });
  const t = JSON.parse((await tt(dir, ["--json", "assign", "asker", "Pick a port"])).out) as { id: string };
  const running = await startTask(town, { taskId: t.id, agentId: a.id, by: "runner:r-test" });
  const { need } = await askHuman(town, {
    question: "8080 or 9090?",
    options: ["8080", "9090"],
    taskId: t.id,
    agentId: a.id,
    expectedVersion: running.version,
    by: "asker",
  });
  expect((await tt(dir, ["status"])).out).toMatch(/1 question\(s\) wait for a human/);
  const list = await tt(dir, ["needs"]);
  expect(list.out).toContain("8080 or 9090?");
  expect(list.out).toContain("[8080 / 9090]");
  const prefix = need.id.slice(0, 10);
  expect((await tt(dir, ["needs", "claim", prefix])).code).toBe(0);
  const other = await tt(dir, ["needs", "answer", prefix, "9090"], { TT_ACTOR: "someone-else" });
  expect(other.code).toBe(4);
  expect(other.err).toMatch(/has taken/);
  expect((await tt(dir, ["needs", "answer", prefix, "9090"])).code).toBe(0);
  expect(await getTask(town, t.id)).toMatchObject({ state: "assigned", waitingFor: null });
  expect((await tt(dir, ["needs"])).out).toContain("nothing needs you");
});
