/**
 * The setup step of a task's worktree, run before each run: copy files that the checkout has and git does not
 * (e.g. `.env`), then the configured commands (argv, never a shell) with their output sent line by line to a
 * callback (the task log). A failure is a CoreError naming the step, its exit and its last lines.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, realpathSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { CoreError } from "../errors";
import { agentEnvironment } from "../models/agent-env";
import { checkRelativePath } from "./names";
import type { Workspace } from "./repo";

export type OutputLine = (line: string, stream: "out" | "err") => void;

const LINE_MAX = 4096;
const TAIL_LINES = 20;
const KILL_GRACE_MS = 2000;

/** The environment of setup commands: the agents' base list and `workspace.passEnv`, never the rest. */
export function setupEnv(ws: Workspace, source: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.assign({} as NodeJS.ProcessEnv, agentEnvironment({ passEnv: ws.config.passEnv, env: {} }, source));
}

/** Runs `workspace.copy` then `workspace.setup` in a worktree. */
export async function runSetup(ws: Workspace, worktree: string, onOutput: OutputLine = () => undefined): Promise<void> {
  for (const p of ws.config.copy) copyIntoWorktree(ws, worktree, p, onOutput);
  for (const argv of ws.config.setup) await runStep(ws, worktree, argv, onOutput);
}

/**
 * Copies one path from the main checkout when the worktree lacks it. Never overwrites (not even a dangling
 * symlink an agent left there) and never writes through a symlinked directory out of the worktree.
 */
function copyIntoWorktree(ws: Workspace, worktree: string, raw: string, onOutput: OutputLine): void {
  const p = checkRelativePath(raw);
  const src = join(ws.repo, p);
  const dst = join(worktree, p);
  if (!existsSync(src)) {
    throw new CoreError(
      "INVALID_STATE",
      `setup: workspace.copy names "${p}", which is not in ${ws.repo}: create it there or remove it from the config`,
      { reason: "setup_failed", step: `copy ${p}` },
    );
  }
  if (lexists(dst)) {
    onOutput(`setup: ${p} is already in the worktree; not copied`, "out");
    return;
  }
  const root = realpathSync(worktree);
  let parent = dirname(dst);
  while (!lexists(parent)) parent = dirname(parent);
  let realParent: string | null;
  try {
    realParent = realpathSync(parent);
  } catch {
    realParent = null; // a dangling symlink
  }
  if (!realParent || (realParent !== root && !realParent.startsWith(root + sep))) {
    throw new CoreError("INVALID_STATE", `setup: ${p} would be written outside the worktree (through a symlink)`, {
      reason: "setup_failed",
      step: `copy ${p}`,
    });
  }
  mkdirSync(dirname(dst), { recursive: true });
  cpSync(src, dst, {
    recursive: statSync(src).isDirectory(),
    dereference: true,
    errorOnExist: true,
    force: false,
  });
  onOutput(`setup: copied ${relative(worktree, dst)} from ${ws.repo}`, "out");
}

function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function runStep(ws: Workspace, cwd: string, argv: string[], onOutput: OutputLine): Promise<void> {
  const label = argv.join(" ").slice(0, 200);
  const timeoutMs = ws.config.setupTimeoutSec * 1000;
  onOutput(`setup: ${label}`, "out");
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd,
      env: setupEnv(ws),
      shell: false,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const tail: string[] = [];
    const emit = (line: string, stream: "out" | "err") => {
      const l = line.length > LINE_MAX ? `${line.slice(0, LINE_MAX)}…` : line;
      tail.push(l);
      if (tail.length > TAIL_LINES) tail.shift();
      onOutput(l, stream);
    };
    const splitter = (stream: "out" | "err") => {
      let buf = "";
      return {
        push(c: Buffer) {
          buf += c.toString("utf8");
          let i: number;
          while ((i = buf.indexOf("\n")) >= 0) {
            emit(buf.slice(0, i).replace(/\r$/, ""), stream);
            buf = buf.slice(i + 1);
          }
          if (buf.length > LINE_MAX) {
            emit(buf, stream);
            buf = "";
          }
        },
        flush() {
          if (buf) emit(buf, stream);
          buf = "";
        },
      };
    };
    const out = splitter("out");
    const err = splitter("err");
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    let timedOut = false;
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        /* gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill("SIGTERM");
      setTimeout(() => kill("SIGKILL"), KILL_GRACE_MS).unref();
    }, timeoutMs);
    const fail = (why: string) =>
      new CoreError(
        "INVALID_STATE",
        `setup step \`${label}\` ${why} in ${cwd}${tail.length ? `:\n${tail.slice(-8).join("\n")}` : ""}`,
        { reason: "setup_failed", step: label, tail: [...tail] },
      );
    child.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        fail(
          e.code === "ENOENT"
            ? `could not start: "${argv[0]}" is not on the runner's PATH`
            : `could not start (${e.message})`,
        ),
      );
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      out.flush();
      err.flush();
      if (timedOut) return reject(fail(`timed out after ${ws.config.setupTimeoutSec} s (workspace.setupTimeoutSec)`));
      if (code === 0) return resolvePromise();
      reject(fail(code !== null ? `failed (exit ${code})` : `was killed (${signal})`));
    });
  });
}
