/**
 * Reading a task's activity stream (`tt:<town>:activity:<taskId>`, written by `recordActivity`): the latest
 * entries, entries after an id, or a live follow for the timeline and `tt logs -f`.
 */
import type { Redis } from "ioredis";
import { followTaskStream, readTaskStream, type TaskStream } from "../task/task-stream";
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

const activityStream = (town: Town, taskId: string): TaskStream<ActivityEntry> => ({
  key: town.keys.activity(taskId),
  parse,
  maxCount: ACTIVITY_MAX_LEN * 2,
});

/** Activity after `after` (exclusive), oldest first; without `after`, the latest `count` entries. */
export function readActivity(
  town: Town,
  taskId: string,
  opts: { after?: string; count?: number } = {},
): Promise<ActivityEntry[]> {
  return readTaskStream(town, activityStream(town, taskId), opts);
}

/**
 * Follows a task's activity from `after` (default: the beginning), re-issuing finite blocking reads so that a Redis
 * restart never leaves it hanging. With `untilDone`, ends once the task is settled and nothing more arrives. Pass a
 * dedicated blocking connection (default: the town's); ends when `signal` aborts.
 */
export function followActivity(
  town: Town,
  taskId: string,
  opts: { after?: string; signal?: AbortSignal; blockMs?: number; connection?: Redis; untilDone?: boolean } = {},
): AsyncGenerator<ActivityEntry> {
  return followTaskStream(town, taskId, activityStream(town, taskId), opts);
}
