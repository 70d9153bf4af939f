/**
 * The child-process wrapper for agent CLIs. Never a shell: the command is looked up on PATH and the args go
 * as an argv array. The child leads its own process group, so stopping it stops everything it started:
 * SIGTERM to the group, a grace period, then SIGKILL. Whatever is left in the group when the leader exits
 * is killed too (an agent's stray background process must not outlive its run).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { LineSplitter } from "./line-splitter";

export type ExitResult =
  | { kind: "exited"; code: number }
  | { kind: "signalled"; signal: NodeJS.Signals }
  /** The process never started: `code` is the errno name (ENOENT: command not found, EACCES…). */
  | { kind: "spawn-failed"; code: string; message: string };

export interface OutputSink {
  write(stream: "out" | "err", line: string): void;
  readonly backlogged: boolean;
  drained(): Promise<void>;
}

export interface AgentProcessOptions {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Written to the child's stdin, which is then closed; without it stdin is /dev/null. */
  stdin?: string;
  output: OutputSink;
  /** Longest stdout line kept (default MAX_LINE_CHARS); structured CLIs need more. */
  maxLineChars?: number;
}

/** How long the pipes may stay open after the leader exits (a grandchild holding them) before we stop waiting. */
const PIPE_CLOSE_WAIT_MS = 2_000;

export class AgentProcess {
  readonly child: ChildProcess;
  /** Resolves once the process has exited and its output is read; never rejects. */
  readonly exited: Promise<ExitResult>;
  private leaderExited = false;
  private killing: Promise<void> | null = null;

  private constructor(opts: AgentProcessOptions) {
    this.child = spawn(opts.command, [...opts.args], {
      cwd: opts.cwd,
      env: opts.env,
      shell: false,
      detached: true,
      windowsHide: true,
      stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    this.exited = this.watch(opts);
  }

  static start(opts: AgentProcessOptions): AgentProcess {
    return new AgentProcess(opts);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private watch(opts: AgentProcessOptions): Promise<ExitResult> {
    const child = this.child;
    const { output } = opts;
    return new Promise<ExitResult>((resolve) => {
      let spawnError: NodeJS.ErrnoException | null = null;
      let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      let open = 2;
      let settled = false;
      const settle = () => {
        if (settled) return;
        if (spawnError && child.pid === undefined) {
          settled = true;
          resolve({ kind: "spawn-failed", code: spawnError.code ?? "UNKNOWN", message: spawnError.message });
          return;
        }
        if (!exit || open > 0) return;
        settled = true;
        if (exit.signal) resolve({ kind: "signalled", signal: exit.signal });
        else resolve({ kind: "exited", code: exit.code ?? 0 });
      };

      const pump = (
        stream: NodeJS.ReadableStream & { pause(): void; resume(): void; destroy(): void },
        name: "out" | "err",
      ) => {
        const splitter = new LineSplitter(
          (line) => output.write(name, line),
          name === "out" ? opts.maxLineChars : undefined,
        );
        stream.on("data", (chunk: Buffer) => {
          splitter.push(chunk);
          if (output.backlogged) {
            // Stop reading: the agent blocks on a full pipe instead of our memory growing.
            child.stdout?.pause();
            child.stderr?.pause();
            void output.drained().then(() => {
              child.stdout?.resume();
              child.stderr?.resume();
            });
          }
        });
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          splitter.end();
          open--;
          settle();
        };
        stream.on("end", finish);
        stream.on("close", finish);
        stream.on("error", finish);
      };
      if (child.stdout) pump(child.stdout, "out");
      else open--;
      if (child.stderr) pump(child.stderr, "err");
      else open--;

      if (opts.stdin !== undefined && child.stdin) {
        // An agent that exits without reading its prompt closes the pipe: that is not our error.
        child.stdin.on("error", () => undefined);
        child.stdin.end(opts.stdin);
      }

      child.on("error", (err: NodeJS.ErrnoException) => {
        spawnError = err;
        if (child.pid === undefined) {
          open = 0;
          settle();
        }
      });
      child.on("exit", (code, signal) => {
        this.leaderExited = true;
        exit = { code, signal };
        // Leftovers in the group (background jobs the agent started) go with it; then give the pipes a
        // moment to drain, and stop waiting for ones a stubborn grandchild still holds.
        this.killGroup("SIGKILL");
        setTimeout(() => {
          if (open > 0) {
            child.stdout?.destroy();
            child.stderr?.destroy();
          }
        }, PIPE_CLOSE_WAIT_MS).unref();
        settle();
      });
    });
  }

  /** True while any process of the group is alive (the leader, or something it started). */
  groupAlive(): boolean {
    const pid = this.child.pid;
    if (pid === undefined) return false;
    try {
      process.kill(-pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EPERM";
    }
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      /* the group is gone */
    }
  }

  /**
   * Stops the whole process tree: SIGTERM to the group, then SIGKILL after `graceMs` if anything is still
   * alive. Resolves when the leader has exited. Safe to call more than once.
   */
  terminate(graceMs: number): Promise<void> {
    this.killing ??= (async () => {
      if (this.child.pid === undefined) return;
      if (!this.leaderExited || this.groupAlive()) {
        this.killGroup("SIGTERM");
        const until = Date.now() + graceMs;
        while (Date.now() < until && (!this.leaderExited || this.groupAlive())) await sleep(Math.min(50, graceMs));
        if (!this.leaderExited || this.groupAlive()) this.killGroup("SIGKILL");
      }
      await this.exited;
      // Killed grandchildren linger as zombies until init reaps them: wait a little, not forever.
      const reaped = Date.now() + 300;
      while (this.groupAlive() && Date.now() < reaped) await sleep(20);
    })();
    return this.killing;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
