/**
 * The audit view: the town's event stream, newest first, optionally only what one actor did. Reads the capped
 * stream backwards in slices, so a filtered page costs at most a scan of the stream's length (events.maxLen).
 */
import { z } from "zod";

import { parseEvents, type TownEvent } from "../channel/events";
import { StreamId } from "../refs";
import type { Town } from "../town/town";

/** A page of the audit view; an empty `by` or `type` filters nothing. */
export const AuditQuery = z.object({
  /** Only events whose `by` equals this (case-insensitive), e.g. "alice" or "token:ci-bot". */
  by: z.string().trim().max(128).optional(),
  /** Only events of this type prefix, e.g. "task." or "user.added". */
  type: z.string().trim().max(64).optional(),
  /** Resume below this event id (the `next` of the previous page). */
  before: StreamId.optional(),
  limit: z.number().int().positive().max(500).default(100),
});
export type AuditQuery = z.input<typeof AuditQuery>;

const SLICE = 500;
/** The most entries one page reads before it stops looking (the stream is capped anyway). */
const MAX_SCAN = 20_000;

export async function auditLog(town: Town, q: AuditQuery = {}): Promise<{ events: TownEvent[]; next: string | null }> {
  const limit = Math.min(Math.max(q.limit ?? 100, 1), 500);
  const by = q.by?.trim().toLowerCase();
  const out: TownEvent[] = [];
  let end = q.before ? `(${q.before}` : "+";
  let scanned = 0;
  while (out.length < limit && scanned < MAX_SCAN) {
    const raw = (await town.redis.xrevrange(town.keys.events, end, "-", "COUNT", SLICE)) as [string, string[]][];
    if (raw.length === 0) return { events: out, next: null };
    scanned += raw.length;
    for (const ev of parseEvents(raw)) {
      end = `(${ev.id}`;
      if (ev.type === "stream.ready") continue;
      if (by && ev.by.toLowerCase() !== by) continue;
      if (q.type && !ev.type.startsWith(q.type)) continue;
      out.push(ev);
      if (out.length === limit) return { events: out, next: ev.id };
    }
    if (raw.length < SLICE) return { events: out, next: null };
  }
  return { events: out, next: end.slice(1) };
}
