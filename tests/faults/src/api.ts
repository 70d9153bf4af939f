/**
 * The API as a client sees it: requests through the same tRPC fetch handler the web mounts, with a clock on
 * each call (nothing may hang). No cookies: on loopback with no users configured the API is open.
 */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { appRouter, createContext, limitTrpcRequest, MAX_BATCH_CALLS } from "@tinytown/api";
import type { Town } from "@tinytown/core";

export interface HttpResult {
  status: number;
  contentType: string;
  text: string;
  /** The parsed JSON body (null when the body is not JSON, which the checks refuse). */
  json: unknown;
  ms: number;
}

export const ORIGIN = "http://127.0.0.1:3000";

/** Headers of a request from a page of the dashboard itself (same origin, as the browser sends them). */
export function pageHeaders(extra: Record<string, string> = {}): Headers {
  return new Headers({ host: "127.0.0.1:3000", origin: ORIGIN, ...extra });
}

/** Sends a raw Request to the handler, as the web's route does (limits first), from a local browser. */
export async function httpRaw(town: Town, req: Request): Promise<HttpResult> {
  const started = Date.now();
  const limited = await limitTrpcRequest(req, "/api/trpc");
  const res =
    limited instanceof Response
      ? limited
      : await fetchRequestHandler({
          endpoint: "/api/trpc",
          router: appRouter,
          req: limited,
          maxBatchSize: MAX_BATCH_CALLS,
          createContext: ({ resHeaders }) =>
            createContext({ headers: limited.headers, town, exposed: false, transport: "http", resHeaders }),
        });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return {
    status: res.status,
    contentType: res.headers.get("content-type") ?? "",
    text,
    json,
    ms: Date.now() - started,
  };
}

export interface CallResult extends HttpResult {
  data?: unknown;
  error?: {
    message: string;
    data: { code: string; httpStatus: number; core: { code: string; details: Record<string, unknown> } | null };
  };
}

/** A query or mutation with a superjson-encoded input, as the dashboard's client sends it. */
export async function httpCall(
  town: Town,
  type: "query" | "mutation",
  path: string,
  input?: unknown,
): Promise<CallResult> {
  const encoded = JSON.stringify(superjson.serialize(input));
  const url = new URL(`${ORIGIN}/api/trpc/${path}`);
  if (type === "query" && input !== undefined) url.searchParams.set("input", encoded);
  const headers = pageHeaders(type === "mutation" ? { "content-type": "application/json" } : {});
  const req = new Request(url, {
    method: type === "query" ? "GET" : "POST",
    headers,
    body: type === "mutation" ? encoded : undefined,
  });
  const r = await httpRaw(town, req);
  const body = r.json as {
    error?: Parameters<typeof superjson.deserialize>[0];
    result?: { data: Parameters<typeof superjson.deserialize>[0] };
  } | null;
  return {
    ...r,
    data: body?.result ? superjson.deserialize(body.result.data) : undefined,
    error: body?.error ? superjson.deserialize<CallResult["error"]>(body.error) : undefined,
  };
}
