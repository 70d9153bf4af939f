/**
 * Reading one of a task's capped streams (its output log, its activity): a page, or a live follow with XREAD BLOCK in
 * finite slices, re-issued, so that a Redis restart never leaves a follower hanging. The stream's own module says
 * which key and how an entry is parsed.
 */
import type { Redis } from "ioredis";
import type { Town } from "../town/town";

type Entries = [string, string[]][];

export interface TaskStream<T> {
  key: string;
  parse: (entries: Entries) => T[];
  /** The most entries one page may ask for. */
  maxCount: number;
}

const DONE = new Set(["completed", "failed", "cancelled"]);

/** Whether a task in `state` is over: its streams get no more entries. */
export function isTaskOver(state: string | null | undefined): boolean {
  return DONE.has(state ?? "");
}

/** Entries after `after` (exclusive), oldest first; without `after`, the latest `count` entries. */
export async function readTaskStream<T>(
  town: Town,
  stream: TaskStream<T>,
  opts: { after?: string; count?: number } = {},
): Promise<T[]> {
  const count = Math.min(Math.max(opts.count ?? 200, 1), stream.maxCount);
  if (opts.after) return stream.parse(await town.redis.xrange(stream.key, `(${opts.after}`, "+", "COUNT", count));
  return stream.parse(((await town.redis.xrevrange(stream.key, "+", "-", "COUNT", count)) as Entries).reverse());
}

/**
 * Follows the stream from `after` (default: the beginning). With `untilDone`, ends once the task is completed, failed
 * or cancelled and no more entries arrive. Pass a dedicated blocking connection (default: the town's); ends when
 * `signal` aborts.
 */
export async function* followTaskStream<T extends { id: string }>(
  town: Town,
  taskId: string,
  stream: TaskStream<T>,
  opts: { after?: string; signal?: AbortSignal; blockMs?: number; connection?: Redis; untilDone?: boolean } = {},
): AsyncGenerator<T> {
  const conn = opts.connection ?? town.blocking();
  let cursor = opts.after ?? "0-0";
  const block = opts.blockMs ?? 2_000;
  while (!opts.signal?.aborted) {
    let reply: [string, Entries][] | null;
    try {
      reply = await conn.xread("COUNT", 1000, "BLOCK", block, "STREAMS", stream.key, cursor);
    } catch (err) {
      if (opts.signal?.aborted) return;
      if (/Connection is closed/.test(String(err)) && conn.status === "end") return;
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    if (!reply) {
      if (opts.untilDone && isTaskOver(await town.redis.hget(town.keys.task(taskId), "state"))) {
        // The run may have written its last entries between the read and the state check.
        yield* stream.parse(await town.redis.xrange(stream.key, `(${cursor}`, "+"));
        return;
      }
      continue;
    }
    for (const e of stream.parse(reply[0]![1])) {
      cursor = e.id;
      yield e;
    }
  }
}
