/**
 * Reading a task's activity stream (`tt:<town>:activity:<taskId>`, written by `recordActivity`): the latest
 * entries, entries after an id, or a live follow for the timeline and `tt logs -f`.
 */
import type { Redis } from "ioredis";
import type { Town } from "../town/town";
import { ActivityEvent, type ActivityEntry } from "./activity";
import { ACTIVITY_MAX_LEN } from "./record";

function parse(entries: [string, string[]][]): ActivityEntry[] {
  return entries.map(([id, fields]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
    let event: ActivityEvent;
    try {
      const r = ActivityEvent.safeParse(JSON.parse(f.data ?? ""));
      event = r.success ? r.data : { kind: "error", message: "an unreadable activity entry" };
    } catch {
      event = { kind: "error", message: "an unreadable activity entry" };
    }
    return { ...event, id, at: Number(id.split("-")[0]), run: f.run ?? "" };
  });
}

/** Activity after `after` (exclusive), oldest first; without `after`, the latest `count` entries. */
export async function readActivity(
  town: Town,
  taskId: string,
  opts: { after?: string; count?: number } = {},
): Promise<ActivityEntry[]> {
  const count = Math.min(Math.max(opts.count ?? 200, 1), ACTIVITY_MAX_LEN * 2);
  const key = town.keys.activity(taskId);
  if (opts.after) return parse(await town.redis.xrange(key, `(${opts.after}`, "+", "COUNT", count));
  return parse(((await town.redis.xrevrange(key, "+", "-", "COUNT", count)) as [string, string[]][]).reverse());
}

const DONE = new Set(["completed", "failed", "cancelled"]);

/**
 * Follows a task's activity from `after` (default: the beginning) with XREAD BLOCK in finite slices, re-issued, so
 * a Redis restart never leaves it hanging. With `untilDone`, ends once the task is settled and nothing more
 * arrives. Pass a dedicated blocking connection (default: the town's); ends when `signal` aborts.
 */
export async function* followActivity(
  town: Town,
  taskId: string,
  opts: { after?: string; signal?: AbortSignal; blockMs?: number; connection?: Redis; untilDone?: boolean } = {},
): AsyncGenerator<ActivityEntry> {
  const conn = opts.connection ?? town.blocking();
  const key = town.keys.activity(taskId);
  let cursor = opts.after ?? "0-0";
  const block = opts.blockMs ?? 2_000;
  while (!opts.signal?.aborted) {
    let reply: [string, [string, string[]][]][] | null;
    try {
      reply = await conn.xread("COUNT", 1000, "BLOCK", block, "STREAMS", key, cursor);
    } catch (err) {
      if (opts.signal?.aborted) return;
      if (/Connection is closed/.test(String(err)) && conn.status === "end") return;
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    if (!reply) {
      if (opts.untilDone && DONE.has((await town.redis.hget(town.keys.task(taskId), "state")) ?? "")) {
        yield* parse(await town.redis.xrange(key, `(${cursor}`, "+"));
        return;
      }
      continue;
    }
    for (const e of parse(reply[0]![1])) {
      cursor = e.id;
      yield e;
    }
  }
}
