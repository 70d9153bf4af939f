/**
 * A claude run recorded the way the runner records one: the runner's fixture `claude-stream.mjs` as a real process,
 * each stdout chunk's lines through core's claude adapter, stored by core's activity recorder as they arrive.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

import {
  createActivityRecorder,
  createAdapter,
  createTask,
  heartbeatRunner,
  interruptAgent,
  registerRunner,
  resolveAgent,
  spawnAgent,
  startTask,
  unregisterRunner,
  type ActivityRun,
  type Agent,
  type Task,
  type Town,
} from "@tinytown/core";

const FIXTURE = fileURLToPath(new URL("../apps/runner/test/fixtures/claude-stream.mjs", import.meta.url));

/** Runs the fixture for `run` (paced by `delayMs` per line) and returns the total cost claude reported. */
export async function recordClaudeRun(
  town: Town,
  run: ActivityRun,
  opts: { scenario?: string; delayMs?: number } = {},
): Promise<{ reportedUsd: number; events: number }> {
  const child = spawn(process.execPath, [FIXTURE, "--scenario", opts.scenario ?? "normal"], {
    shell: false,
    stdio: ["pipe", "pipe", "ignore"],
    env: { ...process.env, TT_FIXTURE_DELAY_MS: String(opts.delayMs ?? 5) },
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  child.stdin.end("Fix the flaky login test");
  const adapter = createAdapter("claude-stream-json", { modelName: "claude" });
  const recorder = createActivityRecorder(town, run);
  let reportedUsd = 0;
  let events = 0;
  let rest = "";
  for await (const chunk of child.stdout) {
    const lines = (rest + String(chunk)).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      if (line.includes('"type":"result"'))
        reportedUsd = (JSON.parse(line) as { total_cost_usd: number }).total_cost_usd;
    }
    const batch = lines.flatMap((l) => adapter.push(l));
    events += batch.length;
    if (batch.length > 0) await recorder.record(batch);
  }
  const last = [...(rest ? adapter.push(rest) : []), ...adapter.end(await exited)];
  events += last.length;
  if (last.length > 0) await recorder.record(last);
  return { reportedUsd, events };
}

/**
 * A running task whose run the test plays, as a runner would: a registered runner kept alive (so the real runner's
 * repair pass leaves the run alone) and its agent paused (so the real runner takes no job of it). `done` unregisters.
 */
export async function claudeTask(
  town: Town,
  opts: { agentName: string; description: string; runner: string },
): Promise<{ task: Task; agent: Agent; by: string; done: () => Promise<void> }> {
  await registerRunner(town, { id: opts.runner, host: "e2e", pid: process.pid, models: ["claude"] });
  const beat = setInterval(() => void heartbeatRunner(town, opts.runner).catch(() => undefined), 2_000);
  const agent = await spawnAgent(town, { name: opts.agentName, model: "sim", by: "ada" });
  await waitFor(async () => (await resolveAgent(town, agent.id)).state === "idle");
  await interruptAgent(town, agent.id, "ada");
  await waitFor(async () => (await resolveAgent(town, agent.id)).state === "paused");
  const by = `runner:${opts.runner}`;
  const task = await createTask(town, { description: opts.description, assignTo: agent.id, by: "ada" });
  await startTask(town, { taskId: task.id, agentId: agent.id, by });
  return {
    task,
    agent,
    by,
    done: async () => {
      clearInterval(beat);
      await unregisterRunner(town, opts.runner);
    },
  };
}

async function waitFor(ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the agent");
    await new Promise((r) => setTimeout(r, 100));
  }
}
