import { initTRPC } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";

import type { Context } from "./context";

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  sse: {
    // Heartbeats keep idle streams open through proxies and let the client notice a dead server:
    // after `reconnectAfterInactivityMs` without data or ping it reconnects (resuming from the last id).
    ping: { enabled: true, intervalMs: 5_000 },
    client: { reconnectAfterInactivityMs: 15_000 },
  },
  // Placeholder: exposes flattened zod issues so forms can show them next to their fields.
  errorFormatter: ({ shape, error }) => ({
    ...shape,
    data: {
      ...shape.data,
      zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null,
    },
  }),
});

/**
 * The ONE place where errors raised below the API (core's `CoreError`, Redis failures, …) become tRPC errors.
 *
 * `err` is what a procedure reported: a `TRPCError` whose `cause` is the value originally thrown (tRPC wraps
 * anything that is not already a `TRPCError` as INTERNAL_SERVER_ERROR). For now this rethrows it unchanged;
 * the mapping of `CoreError.code` → tRPC code (NOT_FOUND, CONFLICT, BAD_REQUEST, …) lands here.
 */
export function toTRPCError(err: unknown): never {
  throw err;
}

/**
 * Routes every failed query/mutation through {@link toTRPCError}. Subscriptions only pass through here while
 * they start: errors thrown later, while the generator is iterated, bypass middleware.
 */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) toTRPCError(result.error);
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Procedure open to anyone who can reach the server; the caller's name is in `ctx.actor`. */
export const publicProcedure = t.procedure.use(mapErrors);
