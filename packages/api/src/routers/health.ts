import { tracked, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import { publicProcedure, viewerProcedure } from "../trpc";

const TICK_INTERVAL_MS = 1000;

export const TicksInput = z
  .object({
    /** Set by `httpSubscriptionLink` on reconnect: the id of the last tick the client saw. */
    lastEventId: z.string().regex(/^\d+$/, "lastEventId must be a tick number").nullish(),
  })
  .optional();
export type TicksInput = z.infer<typeof TicksInput>;

/** Liveness checks; `ticks` proves that SSE subscriptions work end to end. */
export const healthRouter = {
  ping: publicProcedure.query(() => ({ ok: true as const, at: new Date() })),

  /** One tracked event per second, numbered from 0; resumes after `lastEventId` when the client reconnects. */
  ticks: viewerProcedure.input(TicksInput).subscription(async function* ({ input, signal }) {
    let i = input?.lastEventId == null ? 0 : Number(input.lastEventId) + 1;
    while (!signal?.aborted) {
      yield tracked(String(i), { i });
      i += 1;
      await wait(TICK_INTERVAL_MS, signal);
    }
  }),
} satisfies TRPCRouterRecord;

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects), so a closed stream ends promptly. */
function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
