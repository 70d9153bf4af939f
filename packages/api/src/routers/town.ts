import { tracked, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import { townStatus } from "@tinytown/core";

import { eventHub } from "../live/hub";
import { STREAM_ID } from "../live/stream-id";
import { listModels } from "../services/models";
import { townOverview } from "../services/overview";
import { toTRPCError, townProcedure } from "../trpc";

export const TownEventsInput = z
  .object({
    /** Set by `httpSubscriptionLink` on reconnect: the id of the last event the client saw. */
    lastEventId: z.string().regex(STREAM_ID, "lastEventId must be an event id such as 1732412345678-0").nullish(),
  })
  .optional();
export type TownEventsInput = z.infer<typeof TownEventsInput>;

export const townRouter = {
  status: townProcedure.query(({ ctx }) => townStatus(ctx.town)),

  /** Counts, throughput of the last hour and the latest events: the dashboard's front page. */
  overview: townProcedure.query(({ ctx }) => townOverview(ctx.town)),

  /** Every model of the town and the runners that can run it. */
  models: townProcedure.query(({ ctx }) => listModels(ctx.town)),

  /**
   * Every change in the town, live. With `lastEventId`, the events after it are replayed from the stream first
   * (no gap, no duplicate); without, it starts from now.
   */
  events: townProcedure.input(TownEventsInput).subscription(async function* ({ ctx, input, signal }) {
    try {
      for await (const event of eventHub(ctx.town).subscribe({ after: input?.lastEventId ?? undefined, signal })) {
        yield tracked(event.id, event);
      }
    } catch (err) {
      toTRPCError(err);
    }
  }),
} satisfies TRPCRouterRecord;
