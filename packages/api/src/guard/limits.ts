/**
 * Limits every HTTP entry (the dashboard's server, its tRPC route, the MCP HTTP server) applies before it reads a
 * body: at most {@link MAX_BODY_BYTES} of body (413), a declared length for any body (411), JSON for changes (415),
 * at most {@link MAX_BATCH_CALLS} tRPC calls in one batch (413). One implementation, so they all agree.
 */
import type { IncomingMessage } from "node:http";

export const MAX_BODY_BYTES = 1024 * 1024;
/** tRPC calls per batched request; the dashboard's client splits larger batches itself. */
export const MAX_BATCH_CALLS = 20;

export interface HttpRefusal {
  status: 400 | 411 | 413 | 415;
  /** tRPC-style code, e.g. PAYLOAD_TOO_LARGE. */
  code: string;
  message: string;
}

export interface RequestHead {
  method: string;
  /** Path and query, e.g. `/api/trpc/a,b?batch=1`. */
  url: string;
  headers: { get(name: string): string | null };
}

const NO_BODY = new Set(["GET", "HEAD", "OPTIONS"]);
const mib = (n: number) => `${n / (1024 * 1024)} MiB`;

/**
 * A refusal decided from the method, path and headers alone, or null. `jsonOnly`: a body-carrying request must be
 * `application/json` (API changes); `trpcEndpoint`: where batched tRPC calls are counted.
 */
export function refuseRequest(
  req: RequestHead,
  opts: { jsonOnly: boolean; trpcEndpoint?: string; maxBodyBytes?: number },
): HttpRefusal | null {
  const max = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const method = req.method.toUpperCase();
  const length = req.headers.get("content-length");
  if (length !== null) {
    if (!/^\d+$/.test(length.trim()))
      return { status: 400, code: "BAD_REQUEST", message: `invalid Content-Length ${JSON.stringify(length)}` };
    if (Number(length) > max)
      return tooLarge(`the request body is ${length} bytes; the limit is ${max} bytes (${mib(max)})`);
  } else if (req.headers.get("transfer-encoding") !== null) {
    return {
      status: 411,
      code: "LENGTH_REQUIRED",
      message: `send the request body with a Content-Length (at most ${max} bytes), not chunked`,
    };
  }
  if (opts.jsonOnly && !NO_BODY.has(method) && !isJson(req.headers.get("content-type")))
    return {
      status: 415,
      code: "UNSUPPORTED_MEDIA_TYPE",
      message: `send changes as Content-Type: application/json (got ${JSON.stringify(req.headers.get("content-type") ?? "none")})`,
    };
  if (opts.trpcEndpoint) {
    const path = req.url.split("?")[0] ?? "";
    if (path.startsWith(`${opts.trpcEndpoint}/`)) {
      const calls = path.slice(opts.trpcEndpoint.length + 1).split(",").length;
      if (calls > MAX_BATCH_CALLS)
        return tooLarge(
          `a batch holds at most ${MAX_BATCH_CALLS} calls, this one ${calls}: send them in smaller batches`,
        );
    }
  }
  return null;
}

/** Whether a Content-Type is JSON (`application/json`, any parameters). */
export function isJson(contentType: string | null): boolean {
  return (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase() === "application/json";
}

const tooLarge = (message: string): HttpRefusal => ({ status: 413, code: "PAYLOAD_TOO_LARGE", message });

/** The JSON body of a refusal: `{"error":{"message","code"}}`, like the API's other plain errors. */
export function refusalBody(r: Pick<HttpRefusal, "code" | "message">): string {
  return JSON.stringify({ error: { message: r.message, code: r.code } });
}

/** A refusal as a fetch Response. */
export function refusalResponse(r: HttpRefusal): Response {
  return new Response(refusalBody(r), {
    status: r.status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

/**
 * The request with its body read into memory, never more than `max` bytes (the stream is cut at the limit, whatever
 * Content-Length said), or the 413 to answer.
 */
export async function bufferBody(req: Request, max = MAX_BODY_BYTES): Promise<Request | Response> {
  if (!req.body) return req;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader: ReadableStreamDefaultReader<Uint8Array> = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return refusalResponse(
        tooLarge(`the request body is larger than allowed; the limit is ${max} bytes (${mib(max)})`),
      );
    }
    chunks.push(value);
  }
  return new Request(req.url, {
    method: req.method,
    headers: req.headers,
    body: Buffer.concat(chunks),
    signal: req.signal,
  });
}

/** A refusal as an error, for code that reads a body and must stop with one. */
export class RequestRefused extends Error implements HttpRefusal {
  readonly status: HttpRefusal["status"];
  readonly code: string;
  constructor(r: HttpRefusal) {
    super(r.message);
    this.name = "RequestRefused";
    this.status = r.status;
    this.code = r.code;
  }
}

/** A Node request's body, at most `max` bytes; rejects with a 413 {@link RequestRefused} past that. */
export function readNodeBody(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners("data");
        req.resume();
        reject(
          new RequestRefused(
            tooLarge(`the request body is larger than allowed; the limit is ${max} bytes (${mib(max)})`),
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** A Node request's headers as fetch Headers (repeated headers joined, as fetch does). */
export function nodeHeaders(req: IncomingMessage): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    try {
      out.set(name, Array.isArray(value) ? value.join(", ") : value);
    } catch {
      // A value fetch refuses (a stray control character) is dropped: nothing may rely on it.
    }
  }
  return out;
}
