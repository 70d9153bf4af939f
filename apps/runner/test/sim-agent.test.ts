/**
 * The simulated agent and the edit-file fixture make real edits in a task's worktree, so that diffs, follow-ups
 * and conflicts are real without an AI CLI; outside a task worktree the sim edits nothing.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { captureChanges, checkMerge, ensureWorktree, mergeBranch, type Workspace } from "@tinytown/core";
import { taskIds, tempRepo, type TestRepo } from "@tinytown/core/testing";
import { simCommand } from "../src/sim/sim";
import { FIXTURES } from "./helpers";

let repos: TestRepo[] = [];
afterEach(() => {
  for (const r of repos) r.remove();
  repos = [];
});

/** The prompt shape the runner builds: the task block with its attempt. */
const prompt = (id: string, description: string, attempt = 1, extra = "") =>
  `${extra}## Your task\ntask ${id} · priority normal · attempt ${attempt}\n${description}\n\n## Reporting back\n…\n`;

function run(command: string, args: string[], cwd: string, stdin: string, env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, TT_SIM_MS: "20", ...env }, shell: false });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
    child.stdin.end(stdin);
  });
}

const sim = (cwd: string, input: string) => {
  const c = simCommand();
  return run(c.command, c.args, cwd, input);
};

async function worktreeOf(ws: Workspace, agent = "sim1") {
  const [id] = taskIds(1);
  return { id: id!, ...(await ensureWorktree(ws, { taskId: id!, agent })) };
}

describe("the sim agent in a task worktree", () => {
  test("writes notes/<task>.md, deterministic for a task; a follow-up attempt appends; the log says so", async () => {
    const r = tempRepo();
    repos.push(r);
    const ws = await r.workspace();
    const a = await worktreeOf(ws);
    const b = await worktreeOf(ws);
    const text = "Add a --verbose flag to the CLI";
    const first = await sim(a.path, prompt(a.id, text));
    await sim(b.path, prompt(b.id, text));
    expect(first.code).toBe(0);
    expect(first.out).toContain("Editing notes/add-a-verbose-flag-to-the-cli.md (+3 -0)");
    const file = "notes/add-a-verbose-flag-to-the-cli.md";
    expect(readFileSync(join(a.path, file), "utf8")).toBe(`# ${text}\n\n- attempt 1: ${text}\n`);
    expect(readFileSync(join(b.path, file), "utf8")).toBe(readFileSync(join(a.path, file), "utf8"));

    const c1 = await captureChanges(ws, { ...a, taskId: a.id, agent: "sim1", title: text });
    await sim(a.path, prompt(a.id, text, 2, "## Changes requested (review round 1)\n- alice:\n  more\n\n"));
    expect(readFileSync(join(a.path, file), "utf8")).toBe(
      `# ${text}\n\n- attempt 1: ${text}\n- attempt 2: addressed the review comments\n`,
    );
    const c2 = await captureChanges(ws, { ...a, taskId: a.id, agent: "sim1", title: text });
    expect(c2.stats).toEqual({ files: 1, additions: 4, deletions: 0, binary: 0 });
    expect(c2.head).not.toBe(c1.head);
  });

  test("`edit <path>` edits that file (in its comment syntax); two tasks editing it conflict on merge", async () => {
    const r = tempRepo({ "src/app.ts": "export const app = 1;\n" });
    repos.push(r);
    const ws = await r.workspace();
    const [a, b] = [await worktreeOf(ws, "s1"), await worktreeOf(ws, "s2")];
    await sim(a.path, prompt(a.id, "Please edit src/app.ts to log requests."));
    await sim(b.path, prompt(b.id, "Then edit `src/app.ts`: add metrics"));
    expect(readFileSync(join(a.path, "src/app.ts"), "utf8")).toBe(
      "export const app = 1;\n// sim (attempt 1): Please edit src/app.ts to log requests.\n",
    );
    for (const [t, agent] of [
      [a, "s1"],
      [b, "s2"],
    ] as const)
      await captureChanges(ws, { ...t, taskId: t.id, agent, title: "t" });
    await mergeBranch(ws, { branch: a.branch, taskId: a.id, title: "a", agent: "s1", by: "alice" });
    expect(await checkMerge(ws, { branch: b.branch })).toMatchObject({ clean: false, conflicts: ["src/app.ts"] });
  });

  test("never edits outside the worktree, nor anything in a main checkout", async () => {
    const r = tempRepo();
    repos.push(r);
    const ws = await r.workspace();
    const a = await worktreeOf(ws);
    const res = await sim(a.path, prompt(a.id, "edit ../../../escaped.txt now"));
    expect(res.out).toContain('(not "../../../escaped.txt": outside the worktree)');
    expect(existsSync(join(r.dir, "escaped.txt"))).toBe(false);
    expect(existsSync(join(r.dir, "..", "escaped.txt"))).toBe(false);
    const main = await sim(r.dir, prompt(a.id, "edit README.md please"));
    expect(main.code).toBe(0);
    expect(r.git("status", "--porcelain")).toBe("");
  });
});

describe("the edit-file fixture", () => {
  test("writes what the task line says (or argv), so two tasks make conflicting edits", async () => {
    const r = tempRepo({ "shared.txt": "one\n" });
    repos.push(r);
    const ws = await r.workspace();
    const [a, b] = [await worktreeOf(ws, "f1"), await worktreeOf(ws, "f2")];
    const fixture = join(FIXTURES, "edit-file.mjs");
    const env = { FIXTURE_DIR: join(r.dir, ".tt", "fx") };
    expect((await run(process.execPath, [fixture], a.path, "write shared.txt: from a\n", env)).out).toContain(
      "wrote shared.txt",
    );
    await run(process.execPath, [fixture, "shared.txt", "from b"], b.path, "", env);
    expect(readFileSync(join(b.path, "shared.txt"), "utf8")).toBe("from b\n");
    for (const [t, agent] of [
      [a, "f1"],
      [b, "f2"],
    ] as const)
      await captureChanges(ws, { ...t, taskId: t.id, agent, title: "t" });
    await mergeBranch(ws, { branch: a.branch, taskId: a.id, title: "a", agent: "f1", by: "alice" });
    await expect(
      mergeBranch(ws, { branch: b.branch, taskId: b.id, title: "b", agent: "f2", by: "alice" }),
    ).rejects.toThrow(/conflicts with main in 1 file\(s\): shared\.txt/);
    const refused = await run(process.execPath, [fixture, "../x.txt", "no"], a.path, "", env);
    expect(refused.code).toBe(2);
  });
});
