/**
 * The built-in simulated coding agent: reads its prompt on stdin, streams a plausible work log for about two
 * seconds (TT_SIM_MS overrides), then exits 0 with a one-line summary. No AI model runs; the UI labels it
 * "simulated". Standalone on purpose: it imports nothing from the runner.
 *
 * Run inside a task's git worktree (a linked worktree: its `.git` is a file), it makes one small, real,
 * deterministic edit so that the task has a real diff: it appends a line to the file the task names with
 * `edit <path>`, or else to `notes/<task title>.md`. Anywhere else (e.g. a main checkout) it edits nothing.
 */
import { appendFileSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, extname, isAbsolute, join, normalize, sep } from "node:path";

const TOTAL_MS = Number(process.env.TT_SIM_MS ?? 2000);

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function taskText(prompt: string): string {
  const m = /## Your task\n[^\n]*\n([\s\S]*?)\n## /.exec(prompt);
  return (m?.[1] ?? prompt).trim();
}

const FILES = ["src/index.ts", "src/app.ts", "src/utils/format.ts", "README.md", "package.json", "test/app.test.ts"];
const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The top of the linked git worktree holding `cwd` (its `.git` is a `gitdir:` file); null otherwise. */
function linkedWorktree(cwd: string): string | null {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const dotGit = join(dir, ".git");
    if (existsSync(dotGit)) {
      if (!lstatSync(dotGit).isFile()) return null;
      return readFileSync(dotGit, "utf8").startsWith("gitdir:") ? dir : null;
    }
    if (dirname(dir) === dir) return null;
  }
}

/** `notes/add-a-verbose-flag.md` from "Add a --verbose flag…". */
function slug(title: string): string {
  const s = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48)
    .replace(/-+$/, "");
  return s || "task";
}

/** The file a task names with `edit <path>`, if that path is safe to touch; else the task's notes file. */
function target(task: string): { path: string; named: boolean; refused?: string } {
  const notes = { path: `notes/${slug(task.split("\n")[0] ?? "")}.md`, named: false };
  const m = /\bedit\s+`?([^\s`'"]+?)`?[.,;:)]*(?:\s|$)/i.exec(task);
  if (!m) return notes;
  const p = normalize(m[1]!);
  if (isAbsolute(p) || p.split(sep).some((s) => s === ".." || s === ".git") || p === ".") {
    return { ...notes, refused: m[1]! };
  }
  return { path: p, named: true };
}

const COMMENT: Record<string, [string, string]> = {
  ".ts": ["// ", ""],
  ".tsx": ["// ", ""],
  ".js": ["// ", ""],
  ".mjs": ["// ", ""],
  ".go": ["// ", ""],
  ".rs": ["// ", ""],
  ".c": ["// ", ""],
  ".java": ["// ", ""],
  ".py": ["# ", ""],
  ".sh": ["# ", ""],
  ".rb": ["# ", ""],
  ".yml": ["# ", ""],
  ".yaml": ["# ", ""],
  ".toml": ["# ", ""],
  ".css": ["/* ", " */"],
  ".html": ["<!-- ", " -->"],
};

/**
 * Appends one line to the target inside the worktree `root` (never through a symlink out of it) and returns
 * what it did, for the log.
 */
function edit(root: string, task: string, attempt: number, review: boolean): string {
  const t = target(task);
  try {
    const title = (task.split("\n")[0] ?? "").trim().slice(0, 100);
    const file = join(root, t.path);
    let parent = dirname(file);
    while (!lexists(parent)) parent = dirname(parent);
    const real = realpathSync(parent);
    const top = realpathSync(root);
    if (real !== top && !real.startsWith(top + sep)) return `Not editing ${t.path}: it is outside the worktree`;
    if (lexists(file) && lstatSync(file).isSymbolicLink()) return `Not editing ${t.path}: it is a symlink`;
    mkdirSync(dirname(file), { recursive: true });
    const what = review ? "addressed the review comments" : title;
    const lines: string[] = [];
    if (t.named) {
      const [open, close] = COMMENT[extname(t.path)] ?? ["", ""];
      lines.push(`${open}sim (attempt ${attempt}): ${what}${close}`);
    } else {
      if (!lexists(file)) lines.push(`# ${title}`, "");
      lines.push(`- attempt ${attempt}: ${what}`);
    }
    appendFileSync(file, lines.join("\n") + "\n");
    return `Editing ${t.path} (+${lines.length} -0)${t.refused ? ` (not "${t.refused}": outside the worktree)` : ""}`;
  } catch (err) {
    return `Could not edit ${t.path}: ${(err as Error).message}`;
  }
}

function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

async function main() {
  const prompt = await readStdin();
  const task = taskText(prompt);
  const first = task.split("\n")[0]!.slice(0, 100);
  const seed = [...task].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  const attempt = Number(/· attempt (\d+)/.exec(prompt)?.[1] ?? 1);
  const review = prompt.includes("## Changes requested");
  const root = linkedWorktree(process.cwd());
  const editStep = root
    ? () => edit(root, task, attempt, review)
    : () => `Editing ${pick(FILES, seed + 2)} (+${(seed % 40) + 3} -${seed % 9})`;
  const steps: (string | (() => string))[] = [
    `[simulated agent: no AI model is running] agent ${process.env.TT_AGENT ?? "?"}, task ${process.env.TT_TASK ?? "?"}`,
    `Task: ${first}`,
    "Planning: read the code, make the change, run the tests.",
    `Reading ${pick(FILES, seed)}`,
    `Reading ${pick(FILES, seed + 1)}`,
    `Searching for "${first.split(/\s+/)[0] ?? "TODO"}" in the repository: ${(seed % 7) + 1} matches`,
    editStep,
    "Running tests: npm test",
    `  ✓ ${(seed % 30) + 12} passed`,
    "Reviewing the diff",
  ];
  for (const step of steps) {
    process.stdout.write((typeof step === "function" ? step() : step) + "\n");
    await sleep(TOTAL_MS / steps.length);
  }
  process.stdout.write(`Simulated: done — ${first}\n`);
}

await main();
