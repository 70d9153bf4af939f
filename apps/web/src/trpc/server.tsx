// Server-only: `next/headers` makes Next refuse to bundle this module into client components.
import { dehydrate, HydrationBoundary, type FetchQueryOptions, type QueryKey } from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { headers } from "next/headers";
import { cache } from "react";

import { appRouter, createCaller, createContext, reachFromHeaders, type AppRouter } from "@tinytown/api";
import { createQueryClient } from "./query-client";

/** Context for calls made while rendering: the incoming request's headers (and so its session / `tt_name` cookie). */
const createRscContext = cache(async () => {
  const heads = new Headers(await headers());
  heads.set("x-trpc-source", "rsc");
  // Rendering runs for a request: it gets that request's reach (never local without the dashboard's server).
  return createContext({ headers: heads, reach: reachFromHeaders(heads) });
});

/** One QueryClient per request, shared by every server component that prefetches. */
export const getQueryClient = cache(createQueryClient);

/** Query options for server components: `void prefetch(trpc.health.ping.queryOptions())`. */
export const trpc = createTRPCOptionsProxy<AppRouter>({
  router: appRouter,
  ctx: createRscContext,
  queryClient: getQueryClient,
});

/** Calls a procedure directly from a server component when the data is not needed on the client. */
export async function getCaller() {
  return createCaller(await createRscContext());
}

/** Sends what server components prefetched to the client's cache. */
export function HydrateClient(props: { children: React.ReactNode }) {
  return <HydrationBoundary state={dehydrate(getQueryClient())}>{props.children}</HydrationBoundary>;
}

/** Starts a query during rendering without awaiting it; pending results stream to the client. */
export function prefetch<TQueryFnData, TError, TData, TQueryKey extends QueryKey>(
  queryOptions: FetchQueryOptions<TQueryFnData, TError, TData, TQueryKey>,
): void {
  void getQueryClient().prefetchQuery(queryOptions);
}
