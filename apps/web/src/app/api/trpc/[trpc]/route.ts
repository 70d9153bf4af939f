import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

import { appRouter, createContext } from "@tinytown/api";

import { env } from "../../../../env";
import { shutdownSignal } from "../../../../server/shutdown";

/** Queries and mutations (batched, streamed) and subscriptions (SSE) all enter here. */
function handler(incoming: Request) {
  // tRPC hands `req.signal` to procedures; also abort it on shutdown so open subscriptions end.
  const req = new Request(incoming, { signal: AbortSignal.any([incoming.signal, shutdownSignal()]) });
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    router: appRouter,
    req,
    createContext: () => createContext({ headers: req.headers }),
    onError:
      env.NODE_ENV === "development"
        ? ({ path, error }) => console.error(`tRPC failed on ${path ?? "<no-path>"}: ${error.message}`)
        : undefined,
  });
}

export { handler as GET, handler as POST };
