"use client";

import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import {
  createTRPCClient,
  httpBatchStreamLink,
  httpLink,
  httpSubscriptionLink,
  loggerLink,
  splitLink,
} from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState } from "react";
import superjson from "superjson";

import type { AppRouter } from "@tinytown/api";

import { env } from "../env";
import { createQueryClient } from "./query-client";

export const { useTRPC, TRPCProvider } = createTRPCContext<AppRouter>();

let browserQueryClient: QueryClient | undefined;

function getQueryClient(): QueryClient {
  // Server: a fresh client per request so data never leaks between users.
  if (typeof window === "undefined") return createQueryClient();
  // Browser: one client for the tab, so a re-render that suspends does not throw the cache away.
  return (browserQueryClient ??= createQueryClient());
}

function getBaseUrl(): string {
  if (typeof window !== "undefined") return window.location.origin;
  return `http://127.0.0.1:${env.PORT}`;
}

/** Provides TanStack Query and the typed tRPC client to every client component. */
export function TRPCReactProvider(props: { children: React.ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(() => {
    const url = `${getBaseUrl()}/api/trpc`;
    return createTRPCClient<AppRouter>({
      links: [
        // Development only: in production a refused request (sign-in needed, a stale move, a 404) is the page's to
        // explain, not a styled console error; the page shows every failure itself.
        loggerLink({ enabled: () => env.NODE_ENV === "development" }),
        splitLink({
          condition: (op) => op.type === "subscription",
          // Server-sent events; reconnects on its own and resumes from the last tracked id.
          true: httpSubscriptionLink({ url, transformer: superjson }),
          // Sign-in and sign-out set a cookie: they need a plain response (a streamed one has sent its headers already).
          false: splitLink({
            condition: (op) => op.path.startsWith("auth."),
            true: httpLink({ url, transformer: superjson, headers: () => ({ "x-trpc-source": "nextjs-react" }) }),
            false: httpBatchStreamLink({
              url,
              transformer: superjson,
              // The server refuses batches of more than MAX_BATCH_CALLS (20) calls (packages/api guard/limits.ts).
              maxItems: 20,
              headers: () => ({ "x-trpc-source": "nextjs-react" }),
            }),
          }),
        }),
      ],
    });
  });

  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {props.children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
