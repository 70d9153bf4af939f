/** Helpers for the router tests: callers as a named person, the wire error shape, reading subscriptions. */
import { isTrackedEnvelope } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";

import type { Town } from "@tinytown/core";

import { createContext } from "./context";
import { appRouter, createCaller } from "./root";
import type { CoreErrorData } from "./trpc";

const headersFor = (name?: string) => new Headers(name ? { cookie: `tt_name=${encodeURIComponent(name)}` } : {});

/** An in-process caller for `town`, as the person whose `tt_name` cookie is `name`. */
export function callerFor(town: Town, name?: string, opts: { signal?: AbortSignal } = {}) {
  return createCaller(createContext({ headers: headersFor(name), town }), opts);
}

export interface WireError {
  message: string;
  code: number;
  data: { code: string; httpStatus: number; core: CoreErrorData | null; zodError: unknown };
}

/** Calls a procedure over HTTP (the same handler the web mounts) and returns its status and body, as a browser sees them. */
export async function httpCall(
  town: Town,
  type: "query" | "mutation",
  path: string,
  input: unknown,
  name?: string,
  extraHeaders: Record<string, string> = {},
) {
  const encoded = JSON.stringify(superjson.serialize(input));
  const url = new URL(`http://localhost/api/trpc/${path}`);
  if (type === "query") url.searchParams.set("input", encoded);
  const headers = headersFor(name);
  for (const [k, v] of Object.entries(extraHeaders)) headers.set(k, v);
  if (type === "mutation") headers.set("content-type", "application/json");
  const req = new Request(url, {
    method: type === "query" ? "GET" : "POST",
    headers,
    body: type === "mutation" ? encoded : undefined,
  });
  const res = await fetchRequestHandler({
    endpoint: "/api/trpc",
    router: appRouter,
    req,
    createContext: () => createContext({ headers: req.headers, town }),
  });
  const body = (await res.json()) as {
    error?: Parameters<typeof superjson.deserialize>[0];
    result?: { data: Parameters<typeof superjson.deserialize>[0] };
  };
  return {
    status: res.status,
    error: body.error ? superjson.deserialize<WireError>(body.error) : null,
    data: body.result ? superjson.deserialize<unknown>(body.result.data) : undefined,
  };
}

/** Takes the next `n` items of a subscription (unwrapping `tracked` envelopes into `{ id, data }`), or fails after `ms`. */
export async function take<T>(iter: AsyncIterator<unknown>, n: number, ms = 5_000): Promise<{ id: string; data: T }[]> {
  const out: { id: string; data: T }[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    const left = deadline - Date.now();
    const next = await Promise.race([
      iter.next(),
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), Math.max(0, left))),
    ]);
    if (next === "timeout") throw new Error(`timed out after ${ms} ms with ${out.length} of ${n} items`);
    if (next.done) throw new Error(`the subscription ended after ${out.length} of ${n} items`);
    const v = next.value;
    if (!isTrackedEnvelope(v)) throw new Error("expected a tracked() item");
    out.push({ id: String(v[0]), data: v[1] as T });
  }
  return out;
}

/** An async iterator over what a subscription procedure returned. */
export function iterate(result: unknown): AsyncIterator<unknown> {
  return (result as AsyncIterable<unknown>)[Symbol.asyncIterator]();
}
