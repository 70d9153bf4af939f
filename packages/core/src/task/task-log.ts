/**
 * The per-task output stream (`tt:<town>:log:<taskId>`): one entry per line an agent printed, capped at
 * TASK_LOG_MAX_LEN entries and expiring a week after the last write. The runner appends; `tt logs -f` and the
 * web read and follow it. Entry fields: `stream` (out | err | sys) and `line`.
 */
import type { ChainableCommander, Redis } from "ioredis";
import type { Town } from "../town/town";
import type { TaskState } from "./task";
import { followTaskStream, readTaskStream, type TaskStream } from "./task-stream";
import { getTask } from "./task.service";

export const TASK_LOG_MAX_LEN = 5_000;
export const TASK_LOG_TTL_SEC = 7 * 24 * 3600;

/** `out`/`err`: the agent's stdout/stderr; `sys`: lines the runner writes (attempt started, exit status…). */
export type TaskLogStream = "out" | "err" | "sys";

export interface TaskLogEntry {
  /** Stream id; pass it back as `after` to resume. */
  id: string;
  at: number;
  stream: TaskLogStream;
  line: string;
}

/** Adds XADDs for `lines` (and a refreshed expiry) to a pipeline; the caller executes it. */
export function appendTaskLog(
  pipe: ChainableCommander,
  town: Town,
  taskId: string,
  lines: readonly { stream: TaskLogStream; line: string }[],
): void {
  if (lines.length === 0) return;
  const key = town.keys.taskLog(taskId);
  for (const l of lines) pipe.xadd(key, "MAXLEN", "~", TASK_LOG_MAX_LEN, "*", "stream", l.stream, "line", l.line);
  pipe.expire(key, TASK_LOG_TTL_SEC);
}

/** Appends `lines` to the task's log (a runner streaming its agent's output). */
export async function writeTaskLog(
  town: Town,
  taskId: string,
  lines: readonly { stream: TaskLogStream; line: string }[],
): Promise<void> {
  if (lines.length === 0) return;
  const pipe = town.redis.pipeline();
  appendTaskLog(pipe, town, taskId, lines);
  await pipe.exec();
}

/** Raw stream entries (XRANGE / XREAD replies of a task log) as log lines. */
export function parseTaskLog(entries: [string, string[]][]): TaskLogEntry[] {
  return entries.map(([id, fields]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
    const stream = f.stream === "err" || f.stream === "sys" ? f.stream : "out";
    return { id, at: Number(id.split("-")[0]), stream, line: f.line ?? "" };
  });
}

const logStream = (town: Town, taskId: string): TaskStream<TaskLogEntry> => ({
  key: town.keys.taskLog(taskId),
  parse: parseTaskLog,
  maxCount: TASK_LOG_MAX_LEN * 2,
});

/** Log lines after `after` (exclusive), oldest first; without `after`, the latest `count` lines. */
export function readTaskLog(
  town: Town,
  taskId: string,
  opts: { after?: string; count?: number } = {},
): Promise<TaskLogEntry[]> {
  return readTaskStream(town, logStream(town, taskId), opts);
}

/**
 * Follows a task's log from `after` (default: the beginning), re-issuing finite blocking reads so that a Redis restart
 * never leaves it hanging. With `untilDone`, ends once the task is completed, failed or cancelled and no more lines
 * arrive. Pass a dedicated blocking connection (default: the town's); ends when `signal` aborts.
 */
export function followTaskLog(
  town: Town,
  taskId: string,
  opts: { after?: string; signal?: AbortSignal; blockMs?: number; connection?: Redis; untilDone?: boolean } = {},
): AsyncGenerator<TaskLogEntry> {
  return followTaskStream(town, taskId, logStream(town, taskId), opts);
}

export interface TaskLogPage {
  taskId: string;
  /** The task's state when the page was read: a client stops paging once it is over and the log is drained. */
  state: TaskState;
  lines: TaskLogEntry[];
  /**
   * The log holds lines this page left out: without `after`, older lines before the first one returned; with
   * `after`, newer lines after the last one (call again with the last id).
   */
  truncated: boolean;
}

/**
 * A page of a task's output, oldest first: the latest `limit` lines, or the `limit` lines after `after`.
 * The task must exist (its id may be a prefix), so a typo is NOT_FOUND rather than an empty log.
 */
export async function taskLogPage(
  town: Town,
  input: { taskId: string; after?: string; limit: number },
): Promise<TaskLogPage> {
  const task = await getTask(town, input.taskId);
  // One line more than asked tells whether the page is complete.
  const lines = await readTaskLog(town, task.id, { after: input.after, count: input.limit + 1 });
  const page = { taskId: task.id, state: task.state };
  if (lines.length <= input.limit) return { ...page, lines, truncated: false };
  return { ...page, lines: input.after ? lines.slice(0, input.limit) : lines.slice(1), truncated: true };
}
