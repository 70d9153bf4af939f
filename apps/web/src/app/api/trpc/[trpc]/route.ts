import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

import { appRouter, createContext, getTown, trpcGate } from "@tinytown/api";

import { env } from "../../../../env";
import { exposed } from "../../../../server/access";
import { shutdownSignal } from "../../../../server/shutdown";

const ENDPOINT = "/api/trpc";

/** Queries and mutations (batched, streamed) and subscriptions (SSE) all enter here. */
async function handler(incoming: Request) {
  // tRPC hands `req.signal` to procedures; also abort it on shutdown so open subscriptions end.
  const req = new Request(incoming, { signal: AbortSignal.any([incoming.signal, shutdownSignal()]) });
  // Refuse unauthenticated calls with a plain 401 before a stream starts (the procedures check roles again).
  const town = await getTown().catch(() => null);
  if (town) {
    const refused = await trpcGate(req, { endpoint: ENDPOINT, town, exposed }).catch(() => null);
    if (refused) return refused;
  }
  return fetchRequestHandler({
    endpoint: ENDPOINT,
    router: appRouter,
    req,
    createContext: ({ resHeaders }) =>
      createContext({ headers: req.headers, exposed, transport: "http", resHeaders, url: req.url }),
    onError:
      env.NODE_ENV === "development"
        ? ({ path, error }) => console.error(`tRPC failed on ${path ?? "<no-path>"}: ${error.message}`)
        : undefined,
  });
}

export { handler as GET, handler as POST };
