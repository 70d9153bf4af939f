/**
 * Tasks in git worktrees through real runners, real git and the sim agent: a run's changes are committed on the
 * task's branch and recorded with the task; a change request continues the task (on another runner, through a
 * shared bare remote); an approval has a runner merge it; concurrent tasks on one file get exact diffs and the
 * second merge is refused with the file named.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import {
  approveTask,
  createTask,
  findAgent,
  getTask,
  getTaskChanges,
  readTaskLog,
  requestChanges,
  spawnAgent,
  townOnRedis,
  type ModelSpec,
  type Task,
  type Town,
  type WorkspaceConfigInput,
  workspaceQueue,
} from "@tinytown/core";
import { testRedisUrl, uniqueTownName } from "@tinytown/core/testing";
import { startRunner, type RunnerHandle, type RunnerOptions } from "../src/runner";
import { simCommand } from "../src/sim/sim";
import { fixtureModel, readJsonl, waitFor } from "./helpers";

const FAST: RunnerOptions = {
  logLevel: process.env.TT_TEST_LOG === "1" ? "debug" : "silent",
  heartbeatMs: 300,
  reconcileMs: 500,
  killGraceMs: 300,
};

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  cleanups = [];
});

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=test", "-c", "user.email=t@example.invalid", ...args], {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });

function tempDir(prefix: string): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A bare repository with one commit on main (src/app.ts), as a team's shared remote. */
function sharedRemote(): string {
  const remote = tempDir("tt-remote-");
  git(remote, "init", "--quiet", "--bare", "--initial-branch", "main");
  const seed = tempDir("tt-seed-");
  git(seed, "clone", "--quiet", remote, ".");
  git(seed, "checkout", "--quiet", "-b", "main");
  mkdirSync(join(seed, "src"));
  writeFileSync(join(seed, "src/app.ts"), "export const app = 1;\n");
  git(seed, "add", "--all");
  git(seed, "commit", "--quiet", "-m", "initial");
  git(seed, "push", "--quiet", "origin", "main");
  return remote;
}

/** A runner's machine: its own clone of the remote, the town's directory at its top (`.tt/` ignored, as tt init does). */
function machine(remote: string): string {
  const dir = tempDir("tt-clone-");
  git(dir, "clone", "--quiet", remote, ".");
  mkdirSync(join(dir, ".tt"));
  writeFileSync(join(dir, ".tt/.gitignore"), "*\n");
  return dir;
}

/** The sim agent, quick. */
const SIM: ModelSpec = { ...simCommand(), prompt: "stdin", env: { TT_SIM_MS: "50" } };

async function townAt(
  dir: string,
  name: string,
  workspace: WorkspaceConfigInput = {},
  models: Record<string, ModelSpec> = {},
): Promise<Town> {
  const town = await townOnRedis({
    name,
    url: testRedisUrl(),
    dir,
    config: { models: { simq: SIM, ...models }, runner: { killGraceSec: 0.5, shutdownGraceSec: 0.5 }, workspace },
  });
  cleanups.push(() => town.close());
  return town;
}

async function runnerOn(town: Town): Promise<RunnerHandle> {
  const r = await startRunner(town, FAST);
  cleanups.push(() => r.stop(0));
  return r;
}

async function waitTask(town: Town, id: string, pred: (t: Task) => boolean, what: string, ms = 20_000) {
  return waitFor(
    `task ${id.slice(0, 8)} ${what}`,
    async () => {
      const t = await getTask(town, id);
      return pred(t) ? t : null;
    },
    ms,
  );
}

const waitingReview = (t: Task) => t.state === "completed" && t.review?.status === "waiting";

async function agentReady(town: Town, name: string, model = "simq") {
  const a = await spawnAgent(town, { name, model, by: "cli" });
  await waitFor(`agent ${name} ready`, async () => (await findAgent(town, a.id))?.state === "idle");
  return a;
}

describe("tasks in worktrees, through runners", () => {
  test("run on runner A, changes requested, continued on runner B through the shared remote, then merged", async () => {
    const remote = sharedRemote();
    const name = uniqueTownName("ws");
    const a = machine(remote);
    const b = machine(remote);
    const townA = await townAt(a, name, { remote });
    const townB = await townAt(b, name, { remote });
    const runnerA = await runnerOn(townA);
    await agentReady(townA, "s1");

    const task = await createTask(townA, {
      description: "Please edit src/app.ts to log requests",
      assignTo: "s1",
      by: "cli",
    });
    const first = await waitTask(townA, task.id, waitingReview, "waiting for review");
    const branch = first.workspace!.branch;
    expect(branch).toBe(`tt/s1/${task.id.slice(0, 8)}`);
    expect(first.workspace!.stats).toMatchObject({ files: 1, additions: 1, deletions: 0 });
    const c1 = await getTaskChanges(townA, task.id);
    expect(c1.files.map((f) => f.path)).toEqual(["src/app.ts"]);
    expect(c1.diff).toContain("+// sim (attempt 1): Please edit src/app.ts to log requests");
    // Committed as the agent, with the task's trailer, and pushed to the shared remote.
    const log = git(a, "log", "-1", "--format=%an%n%B", branch);
    expect(log).toMatch(/^s1\n/);
    expect(log).toContain(`Tinytown-Task: ${task.id}`);
    expect(git(remote, "rev-parse", branch).trim()).toBe(first.workspace!.head);
    // The agent ran in the worktree, and the main checkout stayed as it was.
    expect(first.workspace!.worktree).toBe(join(a, ".tt/worktrees", task.id.slice(0, 8)));
    expect(readFileSync(join(a, "src/app.ts"), "utf8")).toBe("export const app = 1;\n");
    const lines = (await readTaskLog(townA, task.id, { count: 200 })).map((e) => e.line).join("\n");
    expect(lines).toContain(`created worktree ${first.workspace!.worktree} on branch ${branch}`);

    // Machine A goes away; machine B continues the task from the remote.
    await runnerA.stop(0);
    await runnerOn(townB);
    await requestChanges(townB, {
      taskId: task.id,
      by: "user:alice",
      comments: [{ file: "src/app.ts", line: 2, text: "Log the status code too" }],
    });
    const second = await waitTask(townB, task.id, (t) => waitingReview(t) && t.attempts === 2, "reviewed again");
    expect(second.review!.round).toBe(1);
    expect(second.workspace!.worktree).toBe(join(b, ".tt/worktrees", task.id.slice(0, 8)));
    const c2 = await getTaskChanges(townB, task.id);
    // Both attempts in one diff: the second saw the change request in its prompt.
    expect(c2.diff).toContain("+// sim (attempt 1): Please edit src/app.ts to log requests");
    expect(c2.diff).toContain("+// sim (attempt 2): addressed the review comments");
    expect(second.workspace!.stats).toMatchObject({ files: 1, additions: 2 });

    await approveTask(townB, { taskId: task.id, by: "user:alice", strategy: "squash" });
    const merged = await waitTask(townB, task.id, (t) => t.review?.status === "merged", "merged");
    expect(merged.review!.strategy).toBe("squash");
    expect(git(b, "rev-parse", "main").trim()).toBe(merged.review!.mergedCommit);
    expect(readFileSync(join(b, "src/app.ts"), "utf8")).toBe(
      "export const app = 1;\n// sim (attempt 1): Please edit src/app.ts to log requests\n// sim (attempt 2): addressed the review comments\n",
    );
    // The base went to the remote; the worktree and the branch are gone, here and there.
    expect(git(remote, "rev-parse", "main").trim()).toBe(merged.review!.mergedCommit);
    await waitFor(
      "branch removed here and on the remote",
      async () => !git(b, "branch", "--list", branch).trim() && !git(remote, "branch", "--list", branch).trim(),
    );
    expect(existsSync(second.workspace!.worktree)).toBe(false);
  }, 60_000);

  test("two agents on the same file at once: exact diffs, the conflict shown before Merge, the second merge refused", async () => {
    const remote = sharedRemote();
    const dir = machine(remote);
    const town = await townAt(dir, uniqueTownName("ws"));
    await runnerOn(town);
    await agentReady(town, "s1");
    await agentReady(town, "s2");
    const t1 = await createTask(town, { description: "First, edit src/app.ts for logging", assignTo: "s1", by: "cli" });
    const t2 = await createTask(town, {
      description: "Second, edit src/app.ts for metrics",
      assignTo: "s2",
      by: "cli",
    });
    const [d1, d2] = await Promise.all([
      waitTask(town, t1.id, waitingReview, "waiting"),
      waitTask(town, t2.id, waitingReview, "waiting"),
    ]);
    expect(d1.workspace!.worktree).not.toBe(d2.workspace!.worktree);
    const [c1, c2] = await Promise.all([getTaskChanges(town, t1.id), getTaskChanges(town, t2.id)]);
    const added = (diff: string) => diff.split("\n").filter((l) => l.startsWith("+") && !l.startsWith("+++"));
    expect(added(c1.diff)).toEqual(["+// sim (attempt 1): First, edit src/app.ts for logging"]);
    expect(added(c2.diff)).toEqual(["+// sim (attempt 1): Second, edit src/app.ts for metrics"]);

    await approveTask(town, { taskId: t1.id, by: "user:alice" });
    const m1 = await waitTask(town, t1.id, (t) => t.review?.status === "merged", "merged");
    // The merge moved the base: the other task's card shows the conflict before anyone presses Merge.
    const checked = await waitTask(town, t2.id, (t) => (t.review?.conflict?.files.length ?? 0) > 0, "conflict shown");
    expect(checked.review!.conflict!.files).toEqual(["src/app.ts"]);
    expect(checked.review!.conflict!.baseHead).toBe(m1.review!.mergedCommit);

    await approveTask(town, { taskId: t2.id, by: "user:bob" });
    const refused = await waitTask(
      town,
      t2.id,
      (t) => t.review?.status === "waiting" && t.version > checked.version + 1,
      "merge refused",
    );
    expect(refused.review!.conflict!.files).toEqual(["src/app.ts"]);
    expect(git(dir, "rev-parse", "main").trim()).toBe(m1.review!.mergedCommit);
    // The refused task keeps its worktree and branch for the agent to resolve the conflict.
    expect(existsSync(refused.workspace!.worktree)).toBe(true);
  }, 60_000);

  test("a failing setup step fails the task with its reason, its output in the task log; the agent never starts", async () => {
    const dir = machine(sharedRemote());
    const setup = [
      [process.execPath, "-e", "console.log('installing deps'); console.error('no lockfile'); process.exit(3)"],
    ];
    const town = await townAt(dir, uniqueTownName("ws"), { setup });
    await runnerOn(town);
    await agentReady(town, "s1");
    const t = await createTask(town, { description: "Please edit src/app.ts", assignTo: "s1", by: "cli" });
    const failed = await waitTask(town, t.id, (x) => x.state === "failed", "failed");
    expect(failed.error).toMatch(/^workspace: setup step `.*` failed \(exit 3\)/);
    expect(failed.error).toContain("no lockfile");
    const log = (await readTaskLog(town, t.id, { count: 200 })).map((e) => e.line);
    expect(log).toContain("installing deps");
    expect(log.join("\n")).not.toContain("[simulated agent");
    // The agent did not run: its task is not on the branch, and the agent is free for the next task.
    expect(git(dir, "log", "--format=%s", `tt/s1/${t.id.slice(0, 8)}`).trim()).toBe("initial");
    await waitFor("agent idle", async () => (await findAgent(town, failed.assignedTo!))?.state === "idle");
  }, 60_000);

  test("measured: run end (process exit) to changes recorded and to the card waiting for review", async () => {
    const dir = machine(sharedRemote());
    const town = await townAt(dir, uniqueTownName("ws"));
    await runnerOn(town);
    await agentReady(town, "s1");
    const recorded: number[] = [];
    const waitingOnBoard: number[] = [];
    for (let i = 0; i < 11; i++) {
      const t = await createTask(town, { description: `Task ${i}: edit src/f${i}.ts`, assignTo: "s1", by: "cli" });
      const done = await waitTask(town, t.id, waitingReview, "waiting");
      const log = await readTaskLog(town, t.id, { count: 200 });
      const ended = log.find((e) => e.line.startsWith("run ended:"))!.at;
      recorded.push(done.workspace!.capturedAt - ended);
      waitingOnBoard.push(done.completedAt! - ended);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `run end → changes recorded: median ${median(recorded)} ms (${recorded.join(", ")}); → waiting for review: median ${median(waitingOnBoard)} ms`,
    );
    // What a reviewer waits for after the agent exits: well under a second.
    expect(median(waitingOnBoard)).toBeLessThan(1000);
  }, 120_000);

  test("an approval whose merge job was lost (a crash before the enqueue) is merged by the next runner", async () => {
    const dir = machine(sharedRemote());
    const town = await townAt(dir, uniqueTownName("ws"));
    const first = await runnerOn(town);
    await agentReady(town, "s1");
    const t = await createTask(town, { description: "Please edit src/app.ts", assignTo: "s1", by: "cli" });
    await waitTask(town, t.id, waitingReview, "waiting");
    await first.stop(0);
    await approveTask(town, { taskId: t.id, by: "user:alice" });
    await workspaceQueue(town).obliterate({ force: true });
    await runnerOn(town);
    const merged = await waitTask(town, t.id, (x) => x.review?.status === "merged", "merged");
    expect(git(dir, "rev-parse", "main").trim()).toBe(merged.review!.mergedCommit);
  }, 60_000);

  test("a change request reaches the same agent in the same worktree, its comments with file and line in the prompt", async () => {
    const dir = machine(sharedRemote());
    const fx = tempDir("tt-fx-");
    const town = await townAt(dir, uniqueTownName("ws"), {}, { echo: fixtureModel(fx, "edit-echo.mjs") });
    await runnerOn(town);
    await agentReady(town, "e1", "echo");
    const t = await createTask(town, { description: "Write some notes", assignTo: "e1", by: "cli" });
    await waitTask(town, t.id, waitingReview, "waiting");
    await requestChanges(town, {
      taskId: t.id,
      by: "user:alice",
      comments: [{ file: "notes.txt", line: 1, text: "Say what the notes are for" }, { text: "And keep them short" }],
    });
    const again = await waitTask(town, t.id, (x) => waitingReview(x) && x.attempts === 2, "reviewed again");
    const prompts = readJsonl<{ stdin: string; cwd: string }>(join(fx, `prompt-${t.id}.jsonl`));
    expect(prompts.map((p) => p.cwd)).toEqual([again.workspace!.worktree, again.workspace!.worktree]);
    expect(prompts[0]!.stdin).not.toContain("Changes requested");
    expect(prompts[1]!.stdin).toContain(
      "## Changes requested (review round 1)\n" +
        `Reviewers looked at your work on branch tt/e1/${t.id.slice(0, 8)} and asked for changes.`,
    );
    expect(prompts[1]!.stdin).toContain(
      "- user:alice on notes.txt line 1:\n  Say what the notes are for\n- user:alice:\n  And keep them short",
    );
    expect(again.workspace!.stats).toMatchObject({ files: 1, additions: 2 });
  }, 60_000);

  test("a run's end records a dry-run merge: a conflict with the base is on the card before anyone presses Merge", async () => {
    const dir = machine(sharedRemote());
    const town = await townAt(dir, uniqueTownName("ws"));
    await runnerOn(town);
    await agentReady(town, "s1");
    const t = await createTask(town, { description: "Please edit src/app.ts", assignTo: "s1", by: "cli" });
    expect((await waitTask(town, t.id, waitingReview, "waiting")).review!.conflict).toBeNull();
    // Someone commits to the base in the main checkout meanwhile, on the same line.
    writeFileSync(join(dir, "src/app.ts"), "export const app = 1;\n// a human's change\n");
    git(dir, "commit", "--quiet", "-am", "human change");
    await requestChanges(town, { taskId: t.id, by: "user:alice", comments: [{ text: "One more line" }] });
    const again = await waitTask(
      town,
      t.id,
      (x) => waitingReview(x) && x.attempts === 2 && x.review!.conflict !== null,
      "conflict shown",
    );
    expect(again.review!.conflict).toMatchObject({
      files: ["src/app.ts"],
      baseHead: git(dir, "rev-parse", "main").trim(),
    });
  }, 60_000);
});
