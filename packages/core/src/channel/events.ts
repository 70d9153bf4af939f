/**
 * The town's event stream (`tt:<town>:events`): capped, one entry per state change, resumable by id.
 */
import type { Redis } from "ioredis";
import { CoreError } from "../errors";
import type { WritePlan } from "../redis/atomic";
import type { Town } from "../town/town";
import type { EventType, TownEvent } from "./event-types";

export { EVENT_TYPES, type EventType, type TownEvent } from "./event-types";

/**
 * The event of a change, for the write plan that applies it. Every change says who makes it: without `by` (a
 * caller that forgot it) the change is refused here, before anything is written, instead of being recorded as nobody's.
 */
export function eventPlan(
  town: Town,
  type: EventType,
  by: string,
  data: Record<string, unknown>,
): NonNullable<WritePlan["event"]> {
  if (typeof by !== "string" || by.length === 0)
    throw new CoreError("VALIDATION", `a ${type} change must say who makes it (\`by\`): nothing was changed`);
  return { stream: town.keys.events, maxLen: town.config.events.maxLen, type, data: { at: Date.now(), by, ...data } };
}

/** Turns raw stream entries (XRANGE / XREAD replies) into events. */
export function parseEvents(entries: [string, string[]][]): TownEvent[] {
  return entries.map(([id, fields]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
    let data: Record<string, unknown> = {};
    try {
      data = JSON.parse(f.data ?? "{}") as Record<string, unknown>;
    } catch {
      /* a foreign entry: keep the id and type */
    }
    return {
      ...data,
      id,
      type: f.type as EventType,
      at: Number(data.at ?? 0),
      by: typeof data.by === "string" ? data.by : "",
    };
  });
}

/** Events after `after` (exclusive), oldest first; without `after`, the latest `count` events. */
export async function readEvents(town: Town, opts: { after?: string; count?: number } = {}): Promise<TownEvent[]> {
  const count = Math.min(opts.count ?? 100, 10_000);
  if (opts.after) {
    return parseEvents(await town.redis.xrange(town.keys.events, `(${opts.after}`, "+", "COUNT", count));
  }
  const latest = (await town.redis.xrevrange(town.keys.events, "+", "-", "COUNT", count)) as [string, string[]][];
  return parseEvents(latest.reverse());
}

/** The id of the newest event ("0-0" when none), to follow from now on. */
export async function lastEventId(town: Town): Promise<string> {
  const last = (await town.redis.xrevrange(town.keys.events, "+", "-", "COUNT", 1)) as [string, string[]][];
  return last[0]?.[0] ?? "0-0";
}

/**
 * Follows the stream from `after` (default: now) with XREAD BLOCK in finite slices, re-issued, so a Redis
 * restart never leaves it hanging. Pass a dedicated blocking connection; ends when `signal` aborts.
 */
export async function* followEvents(
  town: Town,
  opts: { after?: string; signal?: AbortSignal; blockMs?: number; connection?: Redis } = {},
): AsyncGenerator<TownEvent> {
  const conn = opts.connection ?? town.blocking();
  let cursor = opts.after ?? (await lastEventId(town));
  const block = opts.blockMs ?? 5_000;
  while (!opts.signal?.aborted) {
    let reply: [string, [string, string[]][]][] | null;
    try {
      reply = await conn.xread("COUNT", 500, "BLOCK", block, "STREAMS", town.keys.events, cursor);
    } catch (err) {
      if (opts.signal?.aborted) return;
      // Connection lost or the client-side guard fired: wait briefly and re-issue from the same cursor.
      await new Promise((r) => setTimeout(r, 250));
      if (/Connection is closed/.test(String(err)) && conn.status === "end") return;
      continue;
    }
    if (!reply) continue;
    for (const ev of parseEvents(reply[0]![1])) {
      cursor = ev.id;
      yield ev;
    }
  }
}
