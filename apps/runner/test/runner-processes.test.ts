/**
 * Runner processes (the built bin): graceful SIGTERM, several runners sharing one town, and a runner killed
 * with SIGKILL mid-task.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import {
  countTasks,
  createTask,
  findAgent,
  getTask,
  inflightMessages,
  listRunners,
  listTasks,
  peek,
  sendMessage,
  spawnAgent,
  type Task,
} from "@tinytown/core";
import { testRedisUrl } from "@tinytown/core/testing";
import {
  fixtureModel,
  fixtureTown,
  pidAlive,
  readJsonl,
  RUNNER_BIN,
  waitFor,
  type FixtureTown,
  cleanupAfterEach,
} from "./helpers";

const cleanup = cleanupAfterEach();

async function town(opts: Parameters<typeof fixtureTown>[0] = {}): Promise<FixtureTown> {
  const ft = await fixtureTown(opts);
  cleanup(() => ft.town.close());
  return ft;
}

function startRunnerProcess(ft: FixtureTown, id: string): ChildProcess {
  const log = openSync(join(ft.dir, `runner-${id}.log`), "a");
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: testRedisUrl(), TT_RUNNER_ID: id, TT_LOG: "info" };
  delete env.TT_TOWN_DIR;
  const child = spawn(process.execPath, [RUNNER_BIN, "--town", ft.dir], { env, stdio: ["ignore", log, log] });
  cleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
    }
  });
  return child;
}

const exited = (c: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) resolve({ code: c.exitCode, signal: c.signalCode });
    else c.once("exit", (code, signal) => resolve({ code, signal }));
  });

const holder = (t: Task) => (t.updatedBy.startsWith("runner:") ? t.updatedBy.slice("runner:".length) : null);

async function allTasks(ft: FixtureTown): Promise<Task[]> {
  return (await listTasks(ft.town, { limit: 1000 })).items;
}

/** Every pid the fixtures recorded, across all their evidence files. */
function recordedPids(fx: string): number[] {
  const pids = new Set<number>();
  for (const f of readdirSync(fx).filter((f) => f.endsWith(".jsonl")))
    for (const r of readJsonl<{ pid?: number }>(join(fx, f))) if (r.pid) pids.add(r.pid);
  return [...pids];
}

test("SIGTERM: a runner process stops taking work, requeues its running task, unregisters and exits 143", async () => {
  const ft = await town({ runner: { shutdownGraceSec: 0.3, killGraceSec: 0.3 } });
  const child = startRunnerProcess(ft, "term-1");
  const worker = await spawnAgent(ft.town, { name: "worker", model: "interruptible", by: "cli" });
  const note = await sendMessage(ft.town, { to: "worker", from: "alice", body: "read me first" });
  const task = await createTask(ft.town, { description: "a long job", assignTo: "worker", by: "cli" });
  const run = await waitFor("running", () => readJsonl<{ pid: number }>(`${ft.fx}/prompts-${task.id}.jsonl`)[0]);
  expect((await getTask(ft.town, task.id)).state).toBe("running");
  expect((await inflightMessages(ft.town, worker.id)).messages).toEqual([note]);
  expect((await listRunners(ft.town)).map((r) => r.id)).toContain("term-1");
  child.kill("SIGTERM");
  expect(await exited(child)).toEqual({ code: 143, signal: null });
  expect(await getTask(ft.town, task.id)).toMatchObject({
    state: "assigned",
    attempts: 1,
    error: "runner term-1 stopped",
  });
  expect(pidAlive(run.pid)).toBe(false);
  expect((await countTasks(ft.town)).running).toBe(0);
  expect((await listRunners(ft.town)).map((r) => r.id)).not.toContain("term-1");
  const agent = await findAgent(ft.town, "worker");
  expect(agent).toMatchObject({ state: "idle", currentTask: null });
  // The run was cut: the message its prompt held is back in the inbox for the next run.
  expect(await peek(ft.town, worker.id)).toEqual([note]);
  expect((await inflightMessages(ft.town, worker.id)).messages).toEqual([]);
});

test("kill -9 of the runner mid-task: attempt 2's prompt has the messages of attempt 1, in their order", async () => {
  const ft = await town({
    models: (fx) => ({ "slow-once": fixtureModel(fx, "slow-once.mjs", { env: { FIXTURE_FIRST_MS: "20000" } }) }),
  });
  const first = startRunnerProcess(ft, "msg-a");
  const k1 = await spawnAgent(ft.town, { name: "k1", model: "slow-once", by: "cli" });
  const sent = [];
  sent.push(await sendMessage(ft.town, { to: "k1", from: "alice", body: "msg" }));
  sent.push(await sendMessage(ft.town, { to: "k1", from: "bob", body: "then this one", priority: "low" }));
  sent.push(await sendMessage(ft.town, { to: "k1", from: "carol", body: "high one", priority: "high" }));
  const task = await createTask(ft.town, { description: "t", assignTo: "k1", by: "cli" });
  const run1 = await waitFor("first run", () =>
    readJsonl<{ pid: number; first: boolean; prompt: string }>(`${ft.fx}/slow-once.jsonl`).find((r) => r.first),
  );
  expect(run1.prompt).toContain("msg");
  // Held by the run, not gone: `tt inbox` shows them as in the running task's prompt.
  expect(await peek(ft.town, k1.id)).toEqual([]);
  expect(await inflightMessages(ft.town, k1.id)).toEqual({
    run: { taskId: task.id, attempt: 1 },
    messages: [sent[2], sent[0], sent[1]],
  });
  first.kill("SIGKILL");
  await exited(first);
  startRunnerProcess(ft, "msg-b");
  const done = await waitFor(
    "attempt 2 completed",
    async () => {
      const t = await getTask(ft.town, task.id);
      return t.state === "completed" ? t : null;
    },
    40_000,
    100,
  );
  expect(done.attempts).toBe(2);
  const run2 = readJsonl<{ first: boolean; prompt: string }>(`${ft.fx}/slow-once.jsonl`).find((r) => !r.first)!;
  expect(run2.prompt).toContain("msg");
  const order = ["high one", "msg", "then this one"].map((b) => run2.prompt.indexOf(b));
  expect(order.every((i) => i >= 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  // The run that read them ended normally: they are consumed, not delivered a third time.
  expect(await peek(ft.town, k1.id)).toEqual([]);
  expect((await inflightMessages(ft.town, k1.id)).messages).toEqual([]);
}, 60_000);

test("3 runner processes, 10 agents, 200 tasks: all complete once, never two at a time per agent", async () => {
  const ft = await town();
  const runners = ["multi-a", "multi-b", "multi-c"].map((id) => startRunnerProcess(ft, id));
  const agents = [];
  for (let i = 0; i < 10; i++) agents.push(await spawnAgent(ft.town, { name: `w${i}`, model: "ok", by: "cli" }));
  const started = Date.now();
  for (let i = 0; i < 200; i++)
    await createTask(ft.town, { description: `task ${i}`, assignTo: agents[i % 10]!.name, by: "cli" });
  await waitFor("200 completed", async () => (await countTasks(ft.town)).completed === 200, 60_000, 200);
  const elapsed = Date.now() - started;

  const tasks = await allTasks(ft);
  expect(tasks.every((t) => t.state === "completed" && t.attempts === 1)).toBe(true);
  const byRunner: Record<string, number> = {};
  for (const t of tasks) byRunner[holder(t) ?? "?"] = (byRunner[holder(t) ?? "?"] ?? 0) + 1;
  let overlaps = 0;
  const starts = new Map<string, number>();
  for (const a of agents) {
    const recs = readJsonl<{ event: string; task: string; at: number; start?: number }>(
      `${ft.fx}/runs-${a.name}.jsonl`,
    );
    for (const r of recs.filter((r) => r.event === "start")) starts.set(r.task, (starts.get(r.task) ?? 0) + 1);
    const spans = recs
      .filter((r) => r.event === "end")
      .map((r) => [r.start!, r.at] as const)
      .sort((x, y) => x[0] - y[0]);
    expect(spans).toHaveLength(20);
    for (let i = 1; i < spans.length; i++) if (spans[i]![0] < spans[i - 1]![1]) overlaps++;
  }
  expect(overlaps).toBe(0);
  expect(starts.size).toBe(200);
  expect([...starts.values()].every((n) => n === 1)).toBe(true);
  // Which runner gets which agent is up to BullMQ (a worker that finishes a job fetches the next one of its queue).
  expect(Object.keys(byRunner).every((r) => r.startsWith("multi-"))).toBe(true);
  console.log(
    `multi-runner: 200 tasks on 10 agents by 3 runners in ${elapsed} ms; per runner ${JSON.stringify(byRunner)}; overlaps ${overlaps}`,
  );
  for (const c of runners) c.kill("SIGTERM");
  await Promise.all(runners.map(exited));
}, 90_000);

test("kill -9 of one of 3 runners during a 200-task run on 10 agents: all complete, re-runs only as recorded attempts, no orphans", async () => {
  const ft = await town({
    models: (fx) => ({ "slow-once": fixtureModel(fx, "slow-once.mjs", { env: { FIXTURE_FIRST_MS: "30000" } }) }),
  });
  const procs = new Map(["kill-a", "kill-b", "kill-c"].map((id) => [id, startRunnerProcess(ft, id)]));
  await spawnAgent(ft.town, { name: "slowpoke", model: "slow-once", by: "cli" });
  for (let i = 0; i < 9; i++) await spawnAgent(ft.town, { name: `quick${i}`, model: "ok", by: "test" });
  const slow = await createTask(ft.town, { description: "slow first time", assignTo: "slowpoke", by: "cli" });
  for (let i = 0; i < 199; i++)
    await createTask(ft.town, { description: `quick ${i}`, assignTo: `quick${i % 9}`, by: "cli" });
  const first = await waitFor("slow task running", () =>
    readJsonl<{ pid: number; first: boolean }>(`${ft.fx}/slow-once.jsonl`).find((r) => r.first),
  );
  const victim = holder(await getTask(ft.town, slow.id))!;
  const killedAt = Date.now();
  procs.get(victim)!.kill("SIGKILL");
  await exited(procs.get(victim)!);

  const done = await waitFor(
    "slow task completed",
    async () => {
      const t = await getTask(ft.town, slow.id);
      return t.state === "completed" ? t : null;
    },
    30_000,
    100,
  );
  const recoveredMs = Date.now() - killedAt;
  expect(done.attempts).toBe(2);
  expect(holder(done)).not.toBe(victim);
  await waitFor("everything completed", async () => (await countTasks(ft.town)).completed === 200, 60_000, 100).catch(
    async (err) => {
      const left = (await allTasks(ft)).filter((t) => t.state !== "completed");
      console.log(
        JSON.stringify(
          left.map((t) => ({
            id: t.id.slice(0, 8),
            s: t.state,
            a: t.assignedTo?.slice(0, 8),
            v: t.version,
            by: t.updatedBy,
            e: t.error,
          })),
          null,
          1,
        ),
      );
      console.log(ft.dir);
      throw err;
    },
  );
  const counts = await countTasks(ft.town);
  expect(counts).toMatchObject({ running: 0, assigned: 0, failed: 0, completed: 200 });
  // Every start a fixture recorded is an attempt the town recorded: nothing ran twice without a crash attempt.
  const starts = new Map<string, number>();
  for (const f of readdirSync(ft.fx).filter((f) => f.startsWith("runs-")))
    for (const r of readJsonl<{ event: string; task: string }>(join(ft.fx, f)))
      if (r.event === "start") starts.set(r.task, (starts.get(r.task) ?? 0) + 1);
  const tasksNow = await allTasks(ft);
  // (An attempt can be recorded on the killed runner before its process got going, so runs ≤ attempts.)
  for (const t of tasksNow.filter((t) => t.assignedTo !== done.assignedTo)) {
    expect(starts.get(t.id) ?? 0).toBeGreaterThanOrEqual(1);
    expect(starts.get(t.id) ?? 0).toBeLessThanOrEqual(t.attempts);
  }
  const ranTwice = tasksNow.filter((t) => (starts.get(t.id) ?? 0) > 1).length;
  // The orphan of the killed run was killed by the runner that took the task over, long before its 30 s sleep ended.
  expect(pidAlive(first.pid)).toBe(false);
  const orphans = recordedPids(ft.fx).filter(pidAlive);
  expect(orphans).toEqual([]);
  const reruns = (await allTasks(ft)).filter((t) => t.attempts > 1).length;
  const agents = await Promise.all(
    ["slowpoke", ...Array.from({ length: 9 }, (_, i) => `quick${i}`)].map((n) => findAgent(ft.town, n)),
  );
  expect(agents.every((a) => a?.state === "idle" && a.currentTask === null)).toBe(true);
  console.log(
    `kill -9: runner ${victim} killed during 200 tasks on 10 agents; slow task re-run and completed ${recoveredMs} ms later; completed ${counts.completed}; tasks with a re-run attempt ${reruns}, of which ran twice ${ranTwice}; orphans ${orphans.length}`,
  );
  for (const [id, c] of procs) if (id !== victim) c.kill("SIGTERM");
  await Promise.all([...procs.values()].map(exited));
}, 90_000);
