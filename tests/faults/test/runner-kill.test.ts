/**
 * kill -9 of runner processes mid-task, again and again, during a run: 2–3 runners serve 10 agents; a killed
 * runner is replaced at once by a new one (as a process supervisor would). Every task completes; a re-run only
 * follows a kill and is a recorded attempt; the orphans of killed runners are killed by their successors.
 */
import { afterEach, expect, test } from "vitest";
import { countTasks, createTask, listTasksInStates, spawnAgent } from "@tinytown/core";
import { Harness, sleep, waitFor } from "../src/harness";
import { checkInvariants } from "../src/invariants";
import { report } from "../src/report";
import { SIZE } from "../src/size";

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const AGENTS = 10;

test(`kill -9 a runner mid-task ${SIZE.runnerKills} times during a run of ${SIZE.runnerKillTasks} tasks`, async () => {
  const started = Date.now();
  // A task may be caught by several kills: the largest budget (20), so every task must complete.
  h = await Harness.create({ runner: { maxAttempts: 20 }, env: { work: { WORK_MIN_MS: "300", WORK_MAX_MS: "1500" } } });
  const { town } = h;
  for (let i = 0; i < SIZE.runners; i++) h.startRunner();
  const agents = [];
  for (let i = 0; i < AGENTS; i++) agents.push(await spawnAgent(town, { name: `w${i}`, model: "work", by: "faults" }));
  for (let i = 0; i < SIZE.runnerKillTasks; i++) {
    const t = await createTask(town, {
      description: `fault task ${i}`,
      assignTo: agents[i % AGENTS]!.name,
      by: "faults",
    });
    h.ledger.task(t.id, ["completed"]);
  }

  // Kill a runner that is running a task, replace it, let the town make a little progress, repeat.
  const victims: string[] = [];
  for (let k = 0; k < SIZE.runnerKills; k++) {
    const victim = await waitFor(
      `a runner mid-task (kill ${k + 1})`,
      async () => {
        const running = (await listTasksInStates(town, ["running"], { limit: 100 })).items;
        const holders = running.map((t) => t.updatedBy.replace(/^runner:/, "")).filter((id) => h!.runners.has(id));
        return holders.length ? holders[Math.floor(Math.random() * holders.length)]! : null;
      },
      30_000,
      20,
    );
    await h.killRunner(victim);
    victims.push(victim);
    h.startRunner();
    await sleep(600 + Math.random() * 900);
  }
  const counts = await countTasks(town);
  expect(counts.completed, "the kills happened during the run, not after it").toBeLessThan(SIZE.runnerKillTasks);

  await waitFor(
    "every task completed",
    async () => (await countTasks(town)).completed === SIZE.runnerKillTasks,
    180_000,
    250,
  ).catch(async (err) => {
    console.log(JSON.stringify(await countTasks(town)), h!.dir);
    throw err;
  });
  const figures = await checkInvariants(h, { crashes: h.runnerKills, orphanWaitMs: 15_000 });
  expect(figures.losses).toBe(0);
  // Every runner still serving is one the suite started and did not kill; none of them crashed.
  for (const rp of h.runners.values()) expect(rp.child.exitCode).toBeNull();
  report({
    scenario: "runner kill -9",
    kills: h.runnerKills,
    ...figures,
    runners: SIZE.runners,
    agents: AGENTS,
    ms: Date.now() - started,
  });
}, 300_000);
