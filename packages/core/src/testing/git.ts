/**
 * Real git repositories in temp dirs for tests: a repository with a first commit, a town directory inside it,
 * and a plain `git` (no overrides) to set things up and to compare with what the workspace module computed.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "vitest";
import { CoreError, type CoreErrorCode } from "../errors";
import { parseConfig } from "../town/config";
import { resolveWorkspace, type Workspace } from "../workspace/repo";
import type { WorkspaceConfigInput } from "../workspace/workspace-config";

const IDENTITY = {
  GIT_AUTHOR_NAME: "Test User",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Test User",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
};

/** Plain git in `cwd` (the test's own: a fixed identity, nothing pinned); returns stdout. */
export function sh(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: { ...process.env, ...IDENTITY }, encoding: "utf8" });
}

/** Plain git returning stdout as bytes (diffs of binary or non-UTF-8 files). */
export function shBuf(cwd: string, ...args: string[]): Buffer {
  return execFileSync("git", args, { cwd, env: { ...process.env, ...IDENTITY }, maxBuffer: 256 * 1024 * 1024 });
}

/** Writes files (creating directories) under `root`. */
export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), content);
  }
}

export interface TestRepo {
  /** The repository's (and the town's) directory. */
  dir: string;
  git: (...args: string[]) => string;
  /** Commits `files` on the checked-out branch; returns the new commit. */
  commit: (message: string, files: Record<string, string | Buffer>) => string;
  workspace: (config?: WorkspaceConfigInput) => Promise<Workspace>;
  remove: () => void;
}

/** A repository on branch `branch` with a first commit of `files`, which is also a town's directory. */
export function tempRepo(
  files: Record<string, string | Buffer> = { "README.md": "# demo\n" },
  branch = "main",
): TestRepo {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "tt-git-")));
  const git = (...args: string[]) => sh(dir, ...args);
  git("init", "--quiet", "--initial-branch", branch);
  // What `tt init` writes: `.tt/` never shows in the checkout.
  writeFiles(dir, { ".tt/.gitignore": "*\n" });
  const commit = (message: string, f: Record<string, string | Buffer>) => {
    writeFiles(dir, f);
    git("add", "--all");
    git("commit", "--quiet", "--no-verify", "-m", message);
    return git("rev-parse", "HEAD").trim();
  };
  commit("initial", files);
  return {
    dir,
    git,
    commit,
    workspace: async (config = {}) =>
      (await resolveWorkspace({ dir, config: parseConfig({ name: "t", workspace: config }) }))!,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A bare repository to use as `workspace.remote`. */
export function tempBareRepo(): { dir: string; remove: () => void } {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "tt-remote-")));
  sh(dir, "init", "--quiet", "--bare", "--initial-branch", "main");
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Task ids (UUIDs); with `sharedPrefix` (8 hex characters) all of them start the same. */
export function taskIds(n: number, sharedPrefix?: string): string[] {
  return Array.from({ length: n }, () => {
    const id = randomUUID();
    return sharedPrefix ? `${sharedPrefix}${id.slice(8)}` : id;
  });
}

/** Awaits `p`, expecting a CoreError with `code` whose message matches `message`; returns it. */
export async function rejectsWith(p: Promise<unknown>, code: CoreErrorCode, message?: RegExp): Promise<CoreError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected a CoreError ${code}`).toBeInstanceOf(CoreError);
  const ce = err as CoreError;
  expect(ce.code, ce.message).toBe(code);
  if (message) expect(ce.message).toMatch(message);
  return ce;
}
