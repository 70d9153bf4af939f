import { QueryClient } from "@tanstack/react-query";

import { apiFailure } from "../lib/errors";

/** Answers that another try cannot change: no such task or agent, bad input, not allowed. */
const FINAL = new Set(["NOT_FOUND", "BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "CONFLICT", "UNPROCESSABLE_CONTENT"]);

/**
 * A failed query is tried again (twice, quickly) only when another try may succeed (the server or Redis was away);
 * an unknown task or agent shows its page's "not found" at once instead of a skeleton for the backoff's 7 s.
 */
export function retryQuery(failures: number, err: unknown): boolean {
  const code = apiFailure(err).code;
  return !(code && FINAL.has(code)) && failures < 2;
}

/** One QueryClient per request on the server, one per tab in the browser. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Live data arrives through the event subscription, which invalidates what changed.
        staleTime: 30 * 1000,
        retry: retryQuery,
        retryDelay: (n) => Math.min(500 * 2 ** n, 2_000),
      },
    },
  });
}
