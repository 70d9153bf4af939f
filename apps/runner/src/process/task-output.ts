/**
 * Where an agent's output goes: a capped Redis stream per task (batched XADDs in a pipeline) and a log file
 * `.tt/logs/<taskId>.log` (capped, then a "[log truncated]" marker). It keeps short tails of stdout and stderr
 * for the task's result or error. Memory stays bounded: `backlogged` tells the process wrapper to pause
 * reading the agent's pipes until the writes have caught up.
 */
import { createWriteStream, mkdirSync, statSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import { writeTaskLog, type TaskLogStream, type Town } from "@tinytown/core";

export const LOG_FILE_MAX_BYTES = 20 * 1024 * 1024;
const BATCH_LINES = 500;
const BACKLOG_LINES = 2_000;
const BACKLOG_BYTES = 1024 * 1024;
const TAIL_LINES = 20;
const TAIL_LINE_CHARS = 1_000;

export interface TaskOutputOptions {
  town: Town;
  taskId: string;
  file: string;
  maxFileBytes?: number;
  onError?: (err: unknown) => void;
}

export class TaskOutput {
  private pending: { stream: TaskLogStream; line: string }[] = [];
  private pendingBytes = 0;
  private flushing: Promise<void> | null = null;
  private readonly file: WriteStream;
  private fileBytes: number;
  private fileBlocked = false;
  private readonly maxFileBytes: number;
  private waiters: (() => void)[] = [];
  private readonly tails = { out: [] as string[], err: [] as string[] };
  /** True once the output passed the log cap: later lines are counted, not stored. */
  truncated = false;
  dropped = 0;
  lines = 0;

  constructor(private readonly opts: TaskOutputOptions) {
    mkdirSync(dirname(opts.file), { recursive: true });
    this.maxFileBytes = opts.maxFileBytes ?? LOG_FILE_MAX_BYTES;
    let size = 0;
    try {
      size = statSync(opts.file).size;
    } catch {
      /* a new file */
    }
    this.fileBytes = size;
    this.file = createWriteStream(opts.file, { flags: "a", mode: 0o600 });
    this.file.on("error", (err) => opts.onError?.(err));
    this.file.on("drain", () => {
      this.fileBlocked = false;
      this.wake();
    });
  }

  /** True while writes lag behind: stop reading the agent's pipes until `drained()`. */
  get backlogged(): boolean {
    return this.fileBlocked || this.pending.length >= BACKLOG_LINES || this.pendingBytes >= BACKLOG_BYTES;
  }

  drained(): Promise<void> {
    if (!this.backlogged) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  write(stream: "out" | "err", line: string): void {
    this.lines++;
    const tail = this.tails[stream];
    tail.push(line.length > TAIL_LINE_CHARS ? line.slice(0, TAIL_LINE_CHARS) + "…" : line);
    if (tail.length > TAIL_LINES) tail.shift();
    if (this.truncated) {
      this.dropped++;
      return;
    }
    const bytes = Buffer.byteLength(line) + 1;
    if (this.fileBytes + bytes > this.maxFileBytes) {
      this.truncated = true;
      this.dropped++;
      this.sys(
        `[log truncated: the output passed ${Math.round(this.maxFileBytes / 1024 / 1024)} MB; later lines are not kept]`,
      );
      return;
    }
    this.store(stream, line, bytes);
  }

  /** A line from the runner itself (attempt started, exit status…). Always stored, even after truncation. */
  sys(line: string): void {
    this.store("sys", line, Buffer.byteLength(line) + 1);
  }

  private store(stream: TaskLogStream, line: string, bytes: number): void {
    this.fileBytes += bytes;
    if (!this.file.write(stream === "sys" ? `## ${line}\n` : `${line}\n`)) this.fileBlocked = true;
    this.pending.push({ stream, line });
    this.pendingBytes += bytes;
    this.flushing ??= this.flushLoop();
  }

  private async flushLoop(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, BATCH_LINES);
        for (const l of batch) this.pendingBytes -= Buffer.byteLength(l.line) + 1;
        try {
          await writeTaskLog(this.opts.town, this.opts.taskId, batch);
        } catch (err) {
          // Redis is away: the file still has the lines; the stream is best effort.
          this.opts.onError?.(err);
        }
        this.wake();
      }
    } finally {
      this.pendingBytes = Math.max(0, this.pendingBytes);
      this.flushing = null;
      this.wake();
    }
  }

  private wake(): void {
    if (this.backlogged) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  tail(stream: "out" | "err", maxChars: number): string {
    const text = this.tails[stream].join("\n").trim();
    return text.length > maxChars ? "…" + text.slice(text.length - maxChars + 1) : text;
  }

  /** Writes everything still pending and closes the file. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await new Promise<void>((resolve) => this.file.end(resolve));
  }
}
