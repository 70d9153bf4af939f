import { existsSync, readFileSync, statSync } from "node:fs";
import { describe, expect, test } from "vitest";
import {
  agentQueue,
  createTask,
  findAgent,
  getTask,
  interruptAgent,
  listRunners,
  peek,
  readEvents,
  readTaskLog,
  resumeAgent,
  runJobId,
  sendMessage,
  spawnAgent,
  startTask,
  stopAgent,
  cancelTask,
  type Task,
} from "@tinytown/core";
import {
  fixtureModel,
  fixtureTown,
  pidAlive,
  readJsonl,
  waitFor,
  type FixtureTown,
  cleanupAfterEach,
} from "../test/helpers";
import { logFile } from "./process/launch";
import { startRunner, type RunnerHandle, type RunnerOptions } from "./runner";

const FAST: RunnerOptions = {
  logLevel: process.env.TT_TEST_LOG === "1" ? "debug" : "silent",
  heartbeatMs: 300,
  reconcileMs: 500,
  killGraceMs: 300,
};

const cleanup = cleanupAfterEach();

async function setup(
  opts: Parameters<typeof fixtureTown>[0] = {},
  runnerOpts: RunnerOptions = {},
): Promise<FixtureTown & { runner: RunnerHandle }> {
  const ft = await fixtureTown(opts);
  cleanup(() => ft.town.close());
  const runner = await startRunner(ft.town, { ...FAST, ...runnerOpts });
  cleanup(() => runner.stop(0));
  return { ...ft, runner };
}

const settled = (t: Task) => ["completed", "failed", "cancelled"].includes(t.state);
async function waitTask(ft: FixtureTown, id: string, pred: (t: Task) => boolean = settled, ms = 15_000): Promise<Task> {
  return waitFor(
    `task ${id.slice(0, 8)}`,
    async () => {
      const t = await getTask(ft.town, id);
      return pred(t) ? t : null;
    },
    ms,
  );
}

describe("runs tasks end to end", () => {
  test("sim: assign → running → completed, output in the task log and the log file", async () => {
    const ft = await setup();
    const agent = await spawnAgent(ft.town, { name: "simmy", model: "sim", by: "cli" });
    await waitFor("agent ready", async () => (await findAgent(ft.town, agent.id))?.state === "idle");
    expect((await findAgent(ft.town, agent.id))?.runner).toBe(ft.runner.id);
    const task = await createTask(ft.town, {
      description: "Add a --verbose flag to the CLI",
      assignTo: "simmy",
      by: "cli",
    });
    await waitTask(ft, task.id, (t) => t.state === "running");
    // The runner starts the task, then marks the agent working: two steps, so a read can fall between them.
    await waitFor("agent working", async () => (await findAgent(ft.town, agent.id))?.state === "working");
    const done = await waitTask(ft, task.id);
    expect(done.state).toBe("completed");
    expect(done.result).toContain("Simulated: done — Add a --verbose flag to the CLI");
    expect(done.attempts).toBe(1);
    const a = await waitFor("agent idle", async () =>
      (await findAgent(ft.town, agent.id))?.state === "idle" ? findAgent(ft.town, agent.id) : null,
    );
    expect(a).toMatchObject({ state: "idle", currentTask: null, tasksCompleted: 1, tasksFailed: 0 });
    const log = await readTaskLog(ft.town, task.id, { count: 100 });
    expect(log.some((e) => e.stream === "out" && e.line.includes("[simulated agent"))).toBe(true);
    expect(log.at(-1)).toMatchObject({ stream: "sys", line: "run ended: exit code 0" });
    expect(readFileSync(logFile(ft.town, task.id), "utf8")).toContain("Simulated: done");
    const types = (await readEvents(ft.town, { count: 1000 })).filter((e) => e.taskId === task.id).map((e) => e.type);
    expect(types).toEqual(["task.created", "task.started", "task.completed"]);
    expect((await listRunners(ft.town)).find((r) => r.id === ft.runner.id)).toMatchObject({
      alive: true,
      pid: process.pid,
    });
  });

  test("fixture ok: completes with the tail of its stdout", async () => {
    const ft = await setup();
    await spawnAgent(ft.town, { name: "okay", model: "ok", by: "cli" });
    const task = await createTask(ft.town, { description: "do it", assignTo: "okay", by: "cli" });
    const done = await waitTask(ft, task.id);
    expect(done.state).toBe("completed");
    expect(done.result).toContain(`ok: finished ${task.id}`);
    expect(await peek(ft.town, "supervisor")).toEqual([
      expect.objectContaining({ type: "task_done", correlationId: task.id }),
    ]);
  });

  test("fixture fail: exit code 3 fails the task with the stderr tail", async () => {
    const ft = await setup();
    const agent = await spawnAgent(ft.town, { name: "failer", model: "fail", by: "cli" });
    const task = await createTask(ft.town, { description: "break", assignTo: "failer", by: "cli" });
    const done = await waitTask(ft, task.id);
    expect(done).toMatchObject({
      state: "failed",
      error: "exit code 3: compiler error: x is not defined\ngiving up",
      attempts: 1,
    });
    await waitFor("agent idle", async () => (await findAgent(ft.town, agent.id))?.state === "idle");
    expect(await findAgent(ft.town, agent.id)).toMatchObject({ state: "idle", tasksFailed: 1, tasksCompleted: 0 });
  });

  test("missing CLI: the task fails with the exact reason and the agent goes to error", async () => {
    const ft = await setup({
      models: () => ({ ghost: { command: "tt-no-such-cli", args: [], prompt: "stdin", env: {} } }),
    });
    const claude = await spawnAgent(ft.town, { name: "claudia", model: "claude", by: "cli" });
    const t1 = await createTask(ft.town, { description: "needs claude", assignTo: "claudia", by: "cli" });
    expect(await waitTask(ft, t1.id)).toMatchObject({
      state: "failed",
      error: "model `claude` needs the `claude` command on PATH",
    });
    await waitFor("agent error", async () => (await findAgent(ft.town, claude.id))?.state === "error");
    expect((await findAgent(ft.town, claude.id))?.error).toBe("model `claude` needs the `claude` command on PATH");
    await spawnAgent(ft.town, { name: "ghosty", model: "ghost", by: "cli" });
    const t2 = await createTask(ft.town, { description: "needs ghost", assignTo: "ghosty", by: "cli" });
    expect(await waitTask(ft, t2.id)).toMatchObject({
      state: "failed",
      error: "model `ghost` needs the `tt-no-such-cli` command on PATH",
    });
  });

  test("slow start: running and working while the agent says nothing", async () => {
    const ft = await setup();
    const agent = await spawnAgent(ft.town, { name: "sleepy", model: "slow-start", by: "cli" });
    const task = await createTask(ft.town, { description: "wake up", assignTo: "sleepy", by: "cli" });
    await waitTask(ft, task.id, (t) => t.state === "running");
    await new Promise((r) => setTimeout(r, 700));
    expect((await getTask(ft.town, task.id)).state).toBe("running");
    expect(await findAgent(ft.town, agent.id)).toMatchObject({ state: "working", currentTask: task.id });
    expect((await findAgent(ft.town, agent.id))?.lastHeartbeat).toBeGreaterThan(Date.now() - 2_000);
    const done = await waitTask(ft, task.id);
    expect(done.state).toBe("completed");
    expect(done.result).toContain("started late, done");
  });
});

describe("lost enqueues", () => {
  test("an assigned task whose run job went missing is enqueued again and runs", async () => {
    const ft = await setup({}, { enqueueRepairMs: 300 });
    const agent = await spawnAgent(ft.town, { name: "orphaned", model: "ok", by: "cli" });
    await waitFor("agent ready", async () => (await findAgent(ft.town, agent.id))?.state === "idle");
    await interruptAgent(ft.town, agent.id, "test");
    const task = await createTask(ft.town, { description: "its job is lost", assignTo: agent.id, by: "cli" });
    // As if the process that assigned it died between the assignment and queue.add.
    const q = agentQueue(ft.town, agent.id);
    await (await q.getJob(runJobId(task.id, task.version)))!.remove();
    expect(await q.getJob(runJobId(task.id, task.version))).toBeUndefined();
    await resumeAgent(ft.town, agent.id, "test");
    expect((await waitTask(ft, task.id)).state).toBe("completed");
  });
});

describe("the agent gets the prompt literally, never through a shell", () => {
  const nasty =
    "--help\n$(touch /tmp/tt-pwned-$$) `touch /tmp/tt-pwned-bt`; rm -rf ~/nothing-here && echo hi | cat > /tmp/tt-pwned-pipe\n'quotes' \"double\" {prompt} {promptFile} \\ ünïcødé 🎉";

  const modes: [string, { prompt: "stdin" | "arg" | "file"; args: string[] }][] = [
    ["stdin", { prompt: "stdin", args: [] }],
    ["arg", { prompt: "arg", args: ["--prompt", "{prompt}"] }],
    ["file", { prompt: "file", args: ["--file", "{promptFile}"] }],
  ];
  test.each(modes)("via %s", async (mode, spec) => {
    const ft = await setup({
      models: (fx) => ({
        echo: fixtureModel(fx, "echo.mjs", { ...spec, args: [fixtureModel(fx, "echo.mjs").args[0]!, ...spec.args] }),
      }),
    });
    await spawnAgent(ft.town, { name: "echoer", model: "echo", by: "cli" });
    const task = await createTask(ft.town, { description: nasty, assignTo: "echoer", by: "cli" });
    expect((await waitTask(ft, task.id)).state).toBe("completed");
    const [got] = readJsonl<{ argv: string[]; stdin: string; file: string | null }>(`${ft.fx}/echo-${task.id}.jsonl`);
    const prompt = mode === "stdin" ? got!.stdin : mode === "arg" ? got!.argv[1]! : got!.file!;
    expect(prompt).toContain(`\n${nasty}\n`);
    expect(prompt).toContain(`tt task complete ${task.id} --result`);
    if (mode === "arg") expect(got!.argv).toEqual(["--prompt", prompt]);
    if (mode === "file") expect(got!.argv[0]).toBe("--file");
    for (const f of ["/tmp/tt-pwned-bt", "/tmp/tt-pwned-pipe"]) expect(existsSync(f)).toBe(false);
  });
});

describe("limits", () => {
  test("timeout: a process ignoring SIGTERM is SIGKILLed after the grace, with its whole tree", async () => {
    const ft = await setup({}, { taskTimeoutMs: 800, killGraceMs: 400 });
    await spawnAgent(ft.town, { name: "stuck", model: "hang", by: "cli" });
    const task = await createTask(ft.town, { description: "hang", assignTo: "stuck", by: "cli" });
    const rec = await waitFor("hang pids", () => readJsonl<{ pid: number; child: number }>(`${ft.fx}/hang.jsonl`)[0]);
    expect(pidAlive(rec.pid) && pidAlive(rec.child)).toBe(true);
    const done = await waitTask(ft, task.id);
    expect(done).toMatchObject({ state: "failed", error: "timed out after 0.8 s" });
    await waitFor("no orphans", () => !pidAlive(rec.pid) && !pidAlive(rec.child), 3_000);
    const log = await readTaskLog(ft.town, task.id);
    expect(log.map((e) => e.line)).toContain("ignoring SIGTERM");
    expect(log.at(-1)?.line).toBe("run ended: killed by SIGKILL (timeout)");
  });

  test("flood: 100 MB of output keeps memory bounded and the log capped", async () => {
    const ft = await setup();
    await spawnAgent(ft.town, { name: "loud", model: "flood", by: "cli" });
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const task = await createTask(ft.town, { description: "flood", assignTo: "loud", by: "cli" });
    const done = await waitTask(ft, task.id, settled, 60_000).finally(() => clearInterval(sampler));
    expect(done.state).toBe("completed");
    expect(done.result).toContain("flood done");
    const growthMb = (peak - before) / 1024 / 1024;
    console.log(`flood: rss growth ${growthMb.toFixed(1)} MB`);
    expect(growthMb).toBeLessThan(150);
    const file = logFile(ft.town, task.id);
    expect(statSync(file).size).toBeLessThanOrEqual(20 * 1024 * 1024 + 4096);
    expect(readFileSync(file, "utf8")).toContain("[log truncated");
    const log = await readTaskLog(ft.town, task.id, { count: 10_000 });
    expect(log.length).toBeLessThanOrEqual(6_000);
    expect(log.some((e) => e.line.startsWith("[log truncated"))).toBe(true);
    expect(Math.max(...log.map((e) => e.line.length))).toBeLessThanOrEqual(8 * 1024 + 32);
  }, 90_000);
});

describe("queues", () => {
  test("one agent's tasks run by priority, then age", async () => {
    const ft = await fixtureTown();
    cleanup(() => ft.town.close());
    const agent = await spawnAgent(ft.town, { name: "orderly", model: "ok", by: "cli" });
    const ids: Record<string, string> = {};
    for (const p of ["low", "normal", "high", "urgent", "normal"] as const) {
      const t = await createTask(ft.town, { description: `p ${p}`, priority: p, assignTo: "orderly", by: "cli" });
      ids[t.id] = p;
    }
    const runner = await startRunner(ft.town, FAST);
    cleanup(() => runner.stop(0));
    await waitFor("all done", async () => (await findAgent(ft.town, agent.id))?.tasksCompleted === 5);
    const order = readJsonl<{ event: string; task: string }>(`${ft.fx}/runs-orderly.jsonl`)
      .filter((r) => r.event === "start")
      .map((r) => ids[r.task]);
    expect(order).toEqual(["urgent", "high", "normal", "normal", "low"]);
  });

  test("a paused agent takes no work until resumed", async () => {
    const ft = await setup();
    const agent = await spawnAgent(ft.town, { name: "pausy", model: "ok", by: "cli" });
    await waitFor("ready", async () => (await findAgent(ft.town, agent.id))?.state === "idle");
    await interruptAgent(ft.town, "pausy", "cli");
    await waitFor("queue paused", () => agentQueue(ft.town, agent.id).isPaused());
    const task = await createTask(ft.town, { description: "later", assignTo: "pausy", by: "cli" });
    await new Promise((r) => setTimeout(r, 800));
    expect((await getTask(ft.town, task.id)).state).toBe("assigned");
    await resumeAgent(ft.town, "pausy", "cli");
    expect((await waitTask(ft, task.id)).state).toBe("completed");
  });
});

describe("messages and control", () => {
  test("an urgent message interrupts the run; the task resumes first and its prompt starts with the message", async () => {
    const ft = await setup();
    await spawnAgent(ft.town, { name: "busy", model: "interruptible", by: "cli" });
    const t1 = await createTask(ft.town, { description: "long refactor", assignTo: "busy", by: "cli" });
    await waitFor("first run", () => readJsonl(`${ft.fx}/prompts-${t1.id}.jsonl`).length === 1);
    const t2 = await createTask(ft.town, { description: "next thing STOP-AND-FIX", assignTo: "busy", by: "cli" });
    await sendMessage(ft.town, { to: "busy", from: "alice", body: "normal note", priority: "normal" });
    await sendMessage(ft.town, {
      to: "busy",
      from: "alice",
      body: "STOP-AND-FIX: the API changed",
      priority: "urgent",
    });
    const done = await waitTask(ft, t1.id);
    expect(done).toMatchObject({ state: "completed", attempts: 2 });
    await waitTask(ft, t2.id);
    const runs = readJsonl<{ prompt: string; pid: number; at: number }>(`${ft.fx}/prompts-${t1.id}.jsonl`);
    expect(runs).toHaveLength(2);
    expect(runs[1]!.prompt.startsWith("## Messages for you (most urgent first)\n- [URGENT] info from alice")).toBe(
      true,
    );
    expect(runs[1]!.prompt.indexOf("STOP-AND-FIX")).toBeLessThan(runs[1]!.prompt.indexOf("normal note"));
    expect(pidAlive(runs[0]!.pid)).toBe(false);
    // Resumed at the front: before t2, which was queued earlier.
    const t2run = readJsonl<{ at: number }>(`${ft.fx}/prompts-${t2.id}.jsonl`)[0]!;
    expect(runs[1]!.at).toBeLessThan(t2run.at);
    const types = (await readEvents(ft.town, { count: 1000 })).filter((e) => e.taskId === t1.id).map((e) => e.type);
    expect(types).toEqual(["task.created", "task.started", "task.requeued", "task.started", "task.completed"]);
  });

  test("an urgent interrupt gives the first run's messages back: the next prompt has the urgent one first, then them", async () => {
    const ft = await setup();
    const busy = await spawnAgent(ft.town, { name: "busy2", model: "interruptible", by: "cli" });
    await sendMessage(ft.town, { to: "busy2", from: "alice", body: "context one", priority: "low" });
    await sendMessage(ft.town, { to: "busy2", from: "alice", body: "context two", priority: "low" });
    const t1 = await createTask(ft.town, { description: "long refactor", assignTo: "busy2", by: "cli" });
    await waitFor("first run", () => readJsonl(`${ft.fx}/prompts-${t1.id}.jsonl`).length === 1);
    expect(await peek(ft.town, busy.id)).toEqual([]);
    await sendMessage(ft.town, { to: "busy2", from: "bob", body: "STOP-AND-FIX now", priority: "urgent" });
    expect(await waitTask(ft, t1.id)).toMatchObject({ state: "completed", attempts: 2 });
    const runs = readJsonl<{ prompt: string }>(`${ft.fx}/prompts-${t1.id}.jsonl`);
    expect(runs[0]!.prompt).toContain("context one");
    const second = runs[1]!.prompt;
    const at = ["STOP-AND-FIX now", "context one", "context two"].map((b) => second.indexOf(b));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(await peek(ft.town, busy.id)).toEqual([]);
  });

  test("status_request and ping are answered by the runner, with the correlation id", async () => {
    const ft = await setup();
    const a = await spawnAgent(ft.town, { name: "answerer", model: "ok", by: "cli" });
    await spawnAgent(ft.town, { name: "asker", model: "ok", by: "cli" });
    await waitFor("ready", async () => (await findAgent(ft.town, a.id))?.state === "idle");
    await sendMessage(ft.town, {
      to: "answerer",
      type: "status_request",
      from: "supervisor",
      body: "how are you?",
      correlationId: "corr-1",
    });
    const ping = await sendMessage(ft.town, { to: "answerer", type: "ping", from: "asker", body: "ping" });
    const [resp] = await waitFor("status_response", async () => {
      const box = await peek(ft.town, "supervisor");
      return box.length > 0 ? box : null;
    });
    expect(resp).toMatchObject({ type: "status_response", from: "answerer", correlationId: "corr-1" });
    expect(resp!.data).toMatchObject({ state: "idle", name: "answerer", runner: ft.runner.id });
    const asker = (await findAgent(ft.town, "asker"))!;
    const [pong] = await waitFor("pong", async () => {
      const box = await peek(ft.town, asker.id);
      return box.length > 0 ? box : null;
    });
    expect(pong).toMatchObject({ type: "pong", from: "answerer", correlationId: ping.id });
    expect(await peek(ft.town, a.id)).toEqual([]);
  });

  test("a shutdown message stops an idle agent", async () => {
    const ft = await setup();
    const a = await spawnAgent(ft.town, { name: "sleeper", model: "ok", by: "cli" });
    await waitFor("ready", async () => (await findAgent(ft.town, a.id))?.state === "idle");
    await sendMessage(ft.town, { to: "sleeper", type: "shutdown", body: "bye", from: "supervisor" });
    await waitFor("stopped", async () => (await findAgent(ft.town, a.id))?.state === "stopped");
  });

  test("killing an agent kills its process; cancelling a running task kills the process", async () => {
    const ft = await setup();
    const a = await spawnAgent(ft.town, { name: "victim", model: "interruptible", by: "cli" });
    const t1 = await createTask(ft.town, { description: "forever", assignTo: "victim", by: "cli" });
    const r1 = await waitFor("run", () => readJsonl<{ pid: number }>(`${ft.fx}/prompts-${t1.id}.jsonl`)[0]);
    await stopAgent(ft.town, "victim", { by: "cli" });
    await waitFor("killed", () => !pidAlive(r1.pid), 3_000);
    expect(await getTask(ft.town, t1.id)).toMatchObject({ state: "pending", assignedTo: null });
    expect((await findAgent(ft.town, a.id))?.state).toBe("stopped");

    const b = await spawnAgent(ft.town, { name: "victim2", model: "interruptible", by: "cli" });
    const t2 = await createTask(ft.town, { description: "forever", assignTo: "victim2", by: "cli" });
    const r2 = await waitFor("run", () => readJsonl<{ pid: number }>(`${ft.fx}/prompts-${t2.id}.jsonl`)[0]);
    await cancelTask(ft.town, { taskId: t2.id, by: "cli" });
    await waitFor("killed", () => !pidAlive(r2.pid), 3_000);
    await waitFor("idle", async () => (await findAgent(ft.town, b.id))?.state === "idle");
    expect((await getTask(ft.town, t2.id)).state).toBe("cancelled");
  });
});

describe("lost runners", () => {
  async function ghostRun(maxAttempts: number) {
    const ft = await fixtureTown({ runner: { maxAttempts } });
    cleanup(() => ft.town.close());
    const a = await spawnAgent(ft.town, { name: "orphaned", model: "ok", by: "cli" });
    const t = await createTask(ft.town, {
      description: "started by a runner that died",
      assignTo: "orphaned",
      by: "cli",
    });
    await ft.town.redis.zadd(ft.town.keys.runnerAlive, Date.now() - 60_000, "ghost");
    await startTask(ft.town, { taskId: t.id, agentId: a.id, by: "runner:ghost" });
    const runner = await startRunner(ft.town, { ...FAST, runnerDeadMs: 1_000 });
    cleanup(() => runner.stop(0));
    return { ft, t, a };
  }

  test("a running task of a dead runner is requeued and completes as a new attempt", async () => {
    const { ft, t } = await ghostRun(3);
    expect(await waitTask(ft, t.id)).toMatchObject({ state: "completed", attempts: 2 });
  });

  test("past the attempt budget it fails: runner lost N times", async () => {
    const { ft, t } = await ghostRun(1);
    expect(await waitTask(ft, t.id)).toMatchObject({ state: "failed", error: "runner lost 1 times", attempts: 1 });
  });
});
