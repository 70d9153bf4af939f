import { tracked, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import {
  AuditQuery,
  auditLog,
  CoreError,
  lastEventId,
  listModels,
  modelAvailability,
  STREAM_ID,
  townOverview,
  townStatus,
  type TownEvent,
} from "@tinytown/core";

import { openLiveStream } from "../live/guard";
import { eventHub, redisHealth } from "../live/hub";
import { toTRPCError, viewerProcedure } from "../trpc";

export const TownEventsInput = z
  .object({
    /** Set by `httpSubscriptionLink` on reconnect: the id of the last event the client saw. */
    lastEventId: z.string().regex(STREAM_ID, "lastEventId must be an event id such as 1732412345678-0").nullish(),
  })
  .optional();
export type TownEventsInput = z.infer<typeof TownEventsInput>;

/** Who did what: core's audit query (by actor, by event type prefix, paged with `before`). */
export const AuditInput = AuditQuery;
export type AuditInput = z.infer<typeof AuditInput>;

export const townRouter = {
  status: viewerProcedure.query(({ ctx }) => townStatus(ctx.town)),

  /** Counts, throughput of the last hour and the latest events: the dashboard's front page. */
  overview: viewerProcedure.query(({ ctx }) => townOverview(ctx.town)),

  /** Who did what, newest first (the event stream, filtered by actor and type): the audit view. */
  audit: viewerProcedure
    .input(AuditInput)
    .query(({ ctx, input }) =>
      auditLog(ctx.town, { ...input, by: input.by || undefined, type: input.type || undefined }),
    ),

  /** Every model of the town and the runners that can run it. */
  models: viewerProcedure.query(({ ctx }) => listModels(ctx.town)),

  /** Whether a model can run now, and if not what to install (the spawn dialog warns before spawning). */
  modelAvailability: viewerProcedure
    .input(z.object({ model: z.string().trim().min(1).max(64) }))
    .query(({ ctx, input }) => modelAvailability(ctx.town, input.model)),

  /**
   * Every change in the town, live. With `lastEventId`, the events after it are replayed from the stream first
   * (no gap, no duplicate); without, it starts from now. Ends with SERVICE_UNAVAILABLE as soon as the town's Redis
   * is lost (the client shows "offline" and reconnects), so a stream never looks live while nothing can change.
   */
  events: viewerProcedure.input(TownEventsInput).subscription(async function* ({ ctx, input, signal }) {
    const stream = openLiveStream(ctx, "read", signal);
    const lost = new AbortController();
    const unwatch = redisHealth(ctx.town).watch(() => lost.abort());
    try {
      // A fresh subscription fixes "now" here, before anything else, and tells the client: whatever it loads after
      // this marker is at least as new as the cursor, and every later change arrives as an event. No gap.
      let after = input?.lastEventId ?? undefined;
      if (!after) {
        after = await lastEventId(ctx.town);
        yield tracked(after, { id: after, type: "stream.ready", at: Date.now(), by: "server" } satisfies TownEvent);
      }
      const until = AbortSignal.any([stream.signal, lost.signal]);
      for await (const event of eventHub(ctx.town).subscribe({ after, signal: until })) {
        yield tracked(event.id, event);
      }
      stream.throwIfRevoked();
      if (lost.signal.aborted)
        throw new CoreError(
          "REDIS_UNAVAILABLE",
          "the town's Redis is unreachable: changes are paused until it is back",
        );
    } catch (err) {
      toTRPCError(err);
    } finally {
      unwatch();
      stream.release();
    }
  }),
} satisfies TRPCRouterRecord;
