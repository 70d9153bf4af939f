"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { Suspense } from "react";

import { useTRPC } from "../trpc/react";
import { LiveIndicator } from "./live-indicator";

/** Placeholder dashboard: proves queries (ping, prefetched on the server) and SSE subscriptions (ticks) work. */
export function HealthPanel() {
  const trpc = useTRPC();
  const ticks = useSubscription(trpc.health.ticks.subscriptionOptions());

  return (
    <>
      <header className="flex h-14 items-center justify-between border-b border-zinc-200 px-6 dark:border-zinc-800">
        <span className="text-lg font-semibold tracking-tight">Tinytown</span>
        <LiveIndicator status={ticks.status} />
      </header>
      <main className="mx-auto grid max-w-3xl gap-4 p-6 sm:grid-cols-2">
        <section className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
          <h2 className="text-sm font-medium text-zinc-500 dark:text-zinc-400">health.ping</h2>
          <p className="mt-2 font-mono text-sm" data-testid="ping">
            <Suspense fallback="…">
              <PingResult />
            </Suspense>
          </p>
        </section>
        <section className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
          <h2 className="text-sm font-medium text-zinc-500 dark:text-zinc-400">health.ticks</h2>
          <p className="mt-2 font-mono text-3xl tabular-nums" data-testid="ticks">
            {ticks.data?.data.i ?? "–"}
          </p>
          {/* While "connecting" the error is a dropped connection being retried; only a final failure is shown. */}
          {ticks.status === "error" ? <p className="mt-1 text-xs text-red-600">{ticks.error.message}</p> : null}
        </section>
      </main>
    </>
  );
}

/**
 * Reads the ping the page prefetched. A suspense query (not `useQuery`) so the server streams the same result
 * the client hydrates with, instead of rendering "pending" where the client already has data.
 */
function PingResult() {
  const trpc = useTRPC();
  const { data } = useSuspenseQuery(trpc.health.ping.queryOptions());
  return (
    <>
      ok at{" "}
      {/* Rendered on the server first, whose time zone may differ from the browser's. */}
      <time dateTime={data.at.toISOString()} suppressHydrationWarning>
        {data.at.toLocaleTimeString()}
      </time>
    </>
  );
}
