/**
 * `tt task diff|review|merge|discard` and `tt workspace prune` on a town inside a real git repository, with a real
 * runner process and the sim agent: diffs with stats, a change request back to the agent, a squash merge that waits
 * for the runner, a conflicting second merge refused (exit 4) with the file named, a discard, a prune.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { connectTown, getTask, initTown, type Task, type Town } from "@tinytown/core";
import { tempRepo, testRedisUrl, uniqueTownName, waitFor, type TestRepo } from "@tinytown/core/testing";
import { tt } from "./testing";

const RUNNER = join(import.meta.dirname, "..", "..", "runner");

let repo: TestRepo;
let town: Town;
let runner: ChildProcess;

beforeAll(async () => {
  // The runner process runs the built bundle: build it from this checkout's source.
  execFileSync(process.execPath, ["build.mjs"], { cwd: RUNNER, stdio: "ignore" });
  repo = tempRepo({ "src/app.ts": "export const app = 1;\n" });
  await (await initTown({ dir: repo.dir, name: uniqueTownName("cli"), redisUrl: testRedisUrl() })).close();
  town = await connectTown({ cwd: repo.dir, env: {} });
  runner = spawn(process.execPath, [join(RUNNER, "bin", "tt-runner.mjs")], {
    cwd: repo.dir,
    env: { ...process.env, TT_TOWN_DIR: repo.dir, TT_SIM_MS: "50", REDIS_URL: undefined },
    stdio: "ignore",
  });
  for (const name of ["s1", "s2"]) expect((await tt(repo.dir, ["spawn", name, "--model", "sim"])).code).toBe(0);
}, 60_000);

afterAll(async () => {
  if (runner.exitCode === null) {
    const exited = new Promise((r) => runner.once("exit", r));
    runner.kill("SIGTERM");
    await exited;
  }
  await town.close();
  repo.remove();
});

const waiting = (t: Task) => t.state === "completed" && t.review?.status === "waiting";
const waitTask = (id: string, pred: (t: Task) => boolean, what: string) =>
  waitFor(`task ${id.slice(0, 8)} ${what}`, async () => ((t) => (pred(t) ? t : null))(await getTask(town, id)), 20_000);

async function assign(agent: string, text: string): Promise<string> {
  const r = await tt(repo.dir, ["assign", agent, text, "--json"]);
  expect(r.code).toBe(0);
  return (JSON.parse(r.out) as Task).id;
}

describe("reviewing an agent's changes from the command line", () => {
  test("diff, request changes, merge (squash), a conflicting merge refused with the file named, discard, prune", async () => {
    const first = await assign("s1", "First, edit src/app.ts for logging");
    const second = await assign("s2", "Second, edit src/app.ts for metrics");
    await Promise.all([waitTask(first, waiting, "waiting"), waitTask(second, waiting, "waiting")]);

    const diff = await tt(repo.dir, ["task", "diff", first.slice(0, 8)]);
    expect(diff.code).toBe(0);
    expect(diff.out).toContain(`tt/s1/${first.slice(0, 8)} → main   +1 −0 · 1 file   review: waiting`);
    expect(diff.out).toMatch(/^ {2}modified +src\/app\.ts {2}\+1 −0$/m);
    expect(diff.out).toContain("+// sim (attempt 1): First, edit src/app.ts for logging");
    expect(diff.out).not.toContain("metrics");
    const stat = await tt(repo.dir, ["task", "diff", first, "--stat"]);
    expect(stat.out).toContain("src/app.ts");
    expect(stat.out).not.toContain("@@");
    const json = JSON.parse((await tt(repo.dir, ["task", "diff", first, "--json"])).out) as {
      workspace: { stats: { files: number; additions: number } };
      files: { path: string }[];
      diff: string;
    };
    expect(json.workspace.stats).toMatchObject({ files: 1, additions: 1 });
    expect(json.files.map((f) => f.path)).toEqual(["src/app.ts"]);
    expect(json.diff).toContain("@@");

    const asked = await tt(repo.dir, [
      "task",
      "review",
      first,
      "--request-changes",
      "Log the status code too",
      "--file",
      "src/app.ts",
      "--line",
      "2",
    ]);
    expect(asked.code).toBe(0);
    expect(asked.out).toContain("changes requested");
    await waitTask(first, (t) => waiting(t) && t.attempts === 2, "reviewed again");
    expect((await tt(repo.dir, ["task", "diff", first])).out).toContain(
      "+// sim (attempt 2): addressed the review comments",
    );

    const merged = await tt(repo.dir, ["task", "merge", first, "--squash"]);
    expect(merged.err).toBe("");
    expect(merged.code).toBe(0);
    expect(merged.out).toMatch(/merged task \w{8} into main \(squash, [0-9a-f]{10}\)/);
    expect(readFileSync(join(repo.dir, "src/app.ts"), "utf8")).toContain("addressed the review comments");

    const refused = await tt(repo.dir, ["task", "merge", second]);
    expect(refused.code).toBe(4);
    expect(refused.err).toContain("not merged: 1 file(s) conflict with main: src/app.ts");
    const refusedJson = await tt(repo.dir, ["task", "merge", second, "--json"]);
    expect(refusedJson.code).toBe(4);
    expect(JSON.parse(refusedJson.err)).toMatchObject({
      error: { code: "CONFLICT", details: { conflicts: ["src/app.ts"] } },
    });
    expect(readFileSync(join(repo.dir, "src/app.ts"), "utf8")).not.toContain("metrics");

    const worktree = (await getTask(town, second)).workspace!.worktree;
    expect(existsSync(worktree)).toBe(true);
    const discarded = await tt(repo.dir, ["task", "discard", second]);
    expect(discarded.code).toBe(0);
    await waitFor("worktree removed", async () => !existsSync(worktree));

    // A leftover directory no task owns is pruned; nothing a task needs is.
    mkdirSync(join(repo.dir, ".tt/worktrees/leftover"), { recursive: true });
    writeFileSync(join(repo.dir, ".tt/worktrees/leftover/x"), "x");
    const pruned = await tt(repo.dir, ["workspace", "prune"]);
    expect(pruned.code).toBe(0);
    expect(pruned.out).toContain("removed");
    expect(pruned.out).toContain("leftover");
    expect(existsSync(join(repo.dir, ".tt/worktrees/leftover"))).toBe(false);
    expect((await tt(repo.dir, ["workspace", "prune"])).out).toBe("nothing to prune\n");
  }, 90_000);

  test("bad review input: a clear message, exit 2, nothing changed", async () => {
    const id = await assign("s1", "Third, edit src/other.ts");
    const before = await waitTask(id, waiting, "waiting");
    const cases: [string[], RegExp][] = [
      [["task", "review", id], /give one of --request-changes <text> or --approve/],
      [["task", "review", id, "--approve", "--request-changes", "x"], /give one of/],
      [["task", "review", id, "--request-changes", "x", "--line", "3"], /a comment on a line names its file/],
      [["task", "review", id, "--request-changes", "x", "--file", "../etc/passwd"], /a path in the repository/],
      [["task", "review", id, "--request-changes", "x", "--file", "a", "--line", "0"], /out of range/],
      [["task", "merge", id, "--squash", "--merge-commit"], /not both/],
    ];
    for (const [args, message] of cases) {
      const r = await tt(repo.dir, args);
      expect([r.code, r.err]).toEqual([2, expect.stringMatching(message)]);
    }
    expect((await getTask(town, id)).version).toBe(before.version);
    const none = await tt(repo.dir, ["task", "discard", "ffffffff"]);
    expect(none.code).toBe(3);
  }, 60_000);
});
