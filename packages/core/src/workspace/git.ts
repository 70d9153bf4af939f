/**
 * The one way core runs git: `spawn` with an argv (never a shell), in its own process group with no terminal,
 * a sanitised environment, overrides for every config knob that breaks automation, bounded output and a timeout.
 * The user's own git config still applies (ignore rules, line endings, credentials for a remote): only the
 * knobs listed in OVERRIDES are pinned.
 */
import { spawn } from "node:child_process";
import { CoreError } from "../errors";

/**
 * Pinned on every call: no pager, colour, hooks, signing prompts, external diff drivers, background gc or
 * maintenance, fsmonitor daemons, `ext::` transports, askpass programs, or surprises in worktree/branch creation.
 */
const OVERRIDES = [
  "core.pager=cat",
  "color.ui=false",
  "core.hooksPath=/dev/null",
  "commit.gpgSign=false",
  "tag.gpgSign=false",
  "merge.verifySignatures=false",
  "core.fsmonitor=false",
  "core.untrackedCache=false",
  "core.quotePath=false",
  "core.safecrlf=false",
  "core.askPass=",
  "gc.auto=0",
  "maintenance.auto=false",
  "protocol.ext.allow=never",
  "diff.noprefix=false",
  "diff.mnemonicPrefix=false",
  "diff.relative=false",
  "diff.external=",
  "submodule.recurse=false",
  "fetch.recurseSubmodules=false",
  "push.recurseSubmodules=no",
  "worktree.guessRemote=false",
  "branch.autoSetupMerge=false",
  "advice.detachedHead=false",
  "user.useConfigOnly=false",
].flatMap((kv) => ["-c", kv]);

/** Variables a user sets on purpose for git (config files, ssh, TLS); every other GIT_* is context that leaks in. */
const KEEP_GIT_ENV = new Set([
  "GIT_CONFIG_GLOBAL",
  "GIT_CONFIG_SYSTEM",
  "GIT_CONFIG_NOSYSTEM",
  "GIT_SSH",
  "GIT_SSH_COMMAND",
  "GIT_SSL_CAINFO",
  "GIT_SSL_CAPATH",
  "GIT_PROXY_COMMAND",
]);
const DROP_ENV = new Set(["PAGER", "EDITOR", "VISUAL", "SSH_ASKPASS", "GIT_ASKPASS", "LESS", "LV"]);

/**
 * The environment of a git process: the caller's, without inherited repository context (`GIT_DIR`,
 * `GIT_WORK_TREE`, `GIT_INDEX_FILE`, `GIT_CONFIG_PARAMETERS`, author overrides, traces…), pagers, editors or
 * askpass programs, with prompts off and messages in English.
 */
export function gitEnv(extra: Record<string, string> = {}, source: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...source };
  for (const k of Object.keys(env)) {
    if (DROP_ENV.has(k) || (k.startsWith("GIT_") && !KEEP_GIT_ENV.has(k))) delete env[k];
  }
  return Object.assign(
    env,
    {
      GIT_TERMINAL_PROMPT: "0",
      GIT_PAGER: "cat",
      PAGER: "cat",
      GIT_EDITOR: "true",
      SSH_ASKPASS_REQUIRE: "never",
      LC_ALL: "C",
    },
    extra,
  );
}

export interface GitOptions {
  /** Directory git runs in (`-C`). */
  cwd: string;
  /** Written to stdin (e.g. a commit message). */
  input?: string;
  /** Exit codes that are answers, not failures (e.g. 1 from `merge-tree` = conflicts). */
  okCodes?: readonly number[];
  /** Stdout beyond this fails the call, or with `truncate` ends it (the process is killed). Default 64 MiB. */
  maxBytes?: number;
  truncate?: boolean;
  /** Default 120 s; network calls pass their own. */
  timeoutMs?: number;
  /** Extra environment (commit identities). */
  env?: Record<string, string>;
}

export interface GitResult {
  stdout: Buffer;
  stderr: string;
  code: number;
  /** Stdout reached `maxBytes` and the rest was dropped (only with `truncate`). */
  truncated: boolean;
}

const DEFAULT_MAX = 64 * 1024 * 1024;
const STDERR_MAX = 64 * 1024;

/** What a failed git call says, for messages: the subcommand and the last line(s) git printed. */
function describe(args: readonly string[]): string {
  return `git ${args.find((a) => !a.startsWith("-")) ?? args[0] ?? ""}`;
}

export function stderrTail(stderr: string, max = 600): string {
  const t = stderr.trim();
  return t.length > max ? `…${t.slice(-max)}` : t;
}

/** Runs git with `args` (after the pinned overrides). Throws CoreError on spawn failure, timeout or a bad exit. */
export function git(args: readonly string[], opts: GitOptions): Promise<GitResult> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const argv = ["--no-pager", ...OVERRIDES, ...args];
  return new Promise((resolvePromise, reject) => {
    const child = spawn("git", argv, {
      cwd: opts.cwd,
      env: gitEnv(opts.env),
      shell: false,
      // Its own session: no controlling terminal, so ssh or a credential helper cannot prompt, and a timeout
      // kills the whole group (hooks are off, but remote helpers and ssh are children of git).
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = "";
    let truncated = false;
    let overflow = false;
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.stdout.on("data", (c: Buffer) => {
      if (truncated || overflow) return;
      if (size + c.length > maxBytes) {
        if (opts.truncate) {
          chunks.push(c.subarray(0, maxBytes - size));
          size = maxBytes;
          truncated = true;
        } else overflow = true;
        killGroup();
        return;
      }
      chunks.push(c);
      size += c.length;
    });
    child.stderr.on("data", (c: Buffer) => {
      if (stderr.length < STDERR_MAX) stderr += c.toString("utf8");
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
    child.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === "ENOENT"
          ? new CoreError(
              "INTERNAL",
              "git is not installed (or not on PATH): install git 2.38 or newer to run tasks in worktrees",
              { reason: "git_missing" },
            )
          : new CoreError("INTERNAL", `${describe(args)} could not start in ${opts.cwd}: ${err.message}`, {
              reason: "git_failed",
            }),
      );
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(chunks, size);
      if (truncated) return resolvePromise({ stdout, stderr, code: code ?? 0, truncated });
      if (timedOut) {
        return reject(
          new CoreError(
            "TIMEOUT",
            `${describe(args)} took longer than ${Math.round(timeoutMs / 1000)} s in ${opts.cwd}`,
            {
              reason: "git_timeout",
            },
          ),
        );
      }
      if (overflow) {
        return reject(
          new CoreError("INTERNAL", `${describe(args)} printed more than ${maxBytes} bytes in ${opts.cwd}; stopped`, {
            reason: "git_output_too_large",
          }),
        );
      }
      const exit = code ?? 128 + (signal ? 9 : 0);
      if (exit !== 0 && !(opts.okCodes ?? []).includes(exit)) {
        return reject(
          new CoreError("INTERNAL", `${describe(args)} failed (exit ${exit}) in ${opts.cwd}: ${stderrTail(stderr)}`, {
            reason: "git_failed",
            exitCode: exit,
            stderr: stderrTail(stderr, 4000),
          }),
        );
      }
      resolvePromise({ stdout, stderr, code: exit, truncated: false });
    });
  });
}

/** Runs git and returns its stdout as text without the trailing newline. */
export async function gitText(args: readonly string[], opts: GitOptions): Promise<string> {
  const r = await git(args, opts);
  return r.stdout.toString("utf8").replace(/\n$/, "");
}

/** Splits NUL-separated git output (`-z`), dropping the empty field after the last NUL. */
export function splitZ(buf: Buffer | string): string[] {
  const s = typeof buf === "string" ? buf : buf.toString("utf8");
  const parts = s.split("\0");
  if (parts.at(-1) === "") parts.pop();
  return parts;
}

let versionChecked: Promise<void> | null = null;

/** git 2.38 is the first with `merge-tree --write-tree`; checked once per process. */
export function checkGitVersion(cwd: string): Promise<void> {
  versionChecked ??= gitText(["version"], { cwd }).then((out) => {
    const m = /(\d+)\.(\d+)/.exec(out);
    const [major, minor] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
    if (major < 2 || (major === 2 && minor < 38)) {
      throw new CoreError("INTERNAL", `${out} is too old: tasks in worktrees need git 2.38 or newer`, {
        reason: "git_too_old",
      });
    }
  });
  versionChecked.catch(() => (versionChecked = null));
  return versionChecked;
}
