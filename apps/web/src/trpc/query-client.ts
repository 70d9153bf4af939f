import { QueryClient } from "@tanstack/react-query";

/** One QueryClient per request on the server, one per tab in the browser. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Live data arrives through the event subscription, which invalidates what changed.
        staleTime: 30 * 1000,
      },
    },
  });
}
