import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

import {
  appRouter,
  createContext,
  getTown,
  limitTrpcRequest,
  MAX_BATCH_CALLS,
  reachFromHeaders,
  trpcGate,
} from "@tinytown/api";

import { env } from "../../../../env";
import { shutdownSignal } from "../../../../server/shutdown";

const ENDPOINT = "/api/trpc";

/** Queries and mutations (batched, streamed) and subscriptions (SSE) all enter here. */
async function handler(incoming: Request) {
  // The dashboard's server applied these limits already; again here, so that no body is read unbounded whatever
  // runs this route.
  const limited = await limitTrpcRequest(incoming, ENDPOINT);
  if (limited instanceof Response) return limited;
  // tRPC hands `req.signal` to procedures; also abort it on shutdown so open subscriptions end.
  const req = new Request(limited, { signal: AbortSignal.any([incoming.signal, shutdownSignal()]) });
  // How the request reached the server, as the dashboard's server recorded it (never local without it).
  const reach = reachFromHeaders(req.headers);
  // Refuse unauthenticated calls with a plain 401 before a stream starts (the procedures check roles again).
  const town = await getTown().catch(() => null);
  if (town) {
    const refused = await trpcGate(req, { endpoint: ENDPOINT, town, reach }).catch(() => null);
    if (refused) return refused;
  }
  return fetchRequestHandler({
    endpoint: ENDPOINT,
    router: appRouter,
    req,
    maxBatchSize: MAX_BATCH_CALLS,
    createContext: ({ resHeaders }) =>
      createContext({ headers: req.headers, reach, transport: "http", resHeaders, url: req.url }),
    onError:
      env.NODE_ENV === "development"
        ? ({ path, error }) => console.error(`tRPC failed on ${path ?? "<no-path>"}: ${error.message}`)
        : undefined,
  });
}

export { handler as GET, handler as POST };
