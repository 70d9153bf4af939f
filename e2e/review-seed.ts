/**
 * Seeds review states on a real git repository with core's workspace functions, as a runner does after a run:
 * a worktree per task, what the "agent" wrote captured and recorded, dry-run merges recorded, the merge made.
 * Used until (and alongside) the runner's own wiring: each step checks first whether the runner already did it.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

import {
  captureChanges,
  checkMerge,
  ensureWorktree,
  getTask,
  mergeBranch,
  recordChanges,
  recordMerge,
  recordMergeCheck,
  resolveWorkspace,
  type Task,
  type Town,
  type Workspace,
} from "@tinytown/core";

const RUNNER = "runner:e2e-seed";

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1" } });

function write(root: string, files: Record<string, string>) {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
}

export interface SeedRepo {
  dir: string;
  ws: Workspace;
  /** Commits `files` on main (what another merge brought into the base). */
  commitOnMain: (message: string, files: Record<string, string>) => void;
  remove: () => void;
}

/** A repository on `main` with `files`, and its workspace under the town's workspace settings. */
export async function seedRepo(town: Town, files: Record<string, string>): Promise<SeedRepo> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "tt-e2e-review-")));
  git(dir, "init", "--quiet", "--initial-branch", "main");
  git(dir, "config", "user.name", "e2e");
  git(dir, "config", "user.email", "e2e@example.com");
  write(dir, { ...files, ".tt/.gitignore": "*\n" });
  git(dir, "add", "--all");
  git(dir, "commit", "--quiet", "-m", "initial");
  const ws = await resolveWorkspace({ dir, config: town.config });
  if (!ws) throw new Error("no workspace for the seed repository");
  return {
    dir,
    ws,
    commitOnMain: (message, f) => {
      write(dir, f);
      git(dir, "add", "--all");
      git(dir, "commit", "--quiet", "-m", message);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** What the agent leaves in the task's worktree, captured and recorded with the task (a runner's end of run). */
export async function seedRun(
  town: Town,
  repo: SeedRepo,
  task: Task,
  agent: string,
  files: Record<string, string>,
): Promise<Task> {
  const wt = await ensureWorktree(repo.ws, { taskId: task.id, agent, branch: task.workspace?.branch, setup: false });
  write(wt.path, files);
  const changes = await captureChanges(repo.ws, { ...wt, taskId: task.id, agent, title: task.description });
  return recordChanges(town, { taskId: task.id, by: RUNNER, changes });
}

/** The dry-run merge a runner makes before a merge, recorded (conflicting files, or none). */
export async function seedMergeCheck(town: Town, repo: SeedRepo, taskId: string): Promise<string[]> {
  const t = await getTask(town, taskId);
  const check = await checkMerge(repo.ws, { branch: t.workspace!.branch });
  await recordMergeCheck(town, { taskId, by: RUNNER, baseHead: check.baseHead, conflicts: check.conflicts });
  return check.conflicts;
}

/** The runner's merge of an approved task (unless a runner already merged it). */
export async function seedMerge(town: Town, repo: SeedRepo, taskId: string, agent: string): Promise<Task> {
  const t = await getTask(town, taskId);
  if (t.review?.status !== "approved") return t;
  const strategy = t.review.strategy ?? "merge";
  const r = await mergeBranch(repo.ws, {
    branch: t.workspace!.branch,
    taskId,
    title: t.description,
    agent,
    by: t.review.by,
    strategy,
  });
  return recordMerge(town, { taskId, by: RUNNER, commit: r.commit, strategy });
}

export { git };
