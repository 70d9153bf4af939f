/**
 * Streamable HTTP transport, stateless: every POST to /mcp is authenticated on its own (so a revoked token or a
 * changed role takes effect on the next request) and served by a fresh server bound to that caller. Who may reach
 * it without a token, the body and batch limits and the security headers are the dashboard's (core reach.ts,
 * @tinytown/api/guard): one rule for every HTTP entry.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

import {
  API_CSP,
  MAX_BATCH_CALLS,
  MAX_BODY_BYTES,
  nodeHeaders,
  readNodeBody,
  RequestRefused,
  refuseRequest,
  SECURITY_HEADERS,
  type HttpRefusal,
} from "@tinytown/api/guard";
import { assessReach, CoreError, isLoopbackIp, parseBearer, toCoreError, type Reach, type Town } from "@tinytown/core";

import { httpPrincipal } from "./auth";
import { httpStatusOf } from "./errors";
import { createTownMcpServer } from "./server";

export const MCP_PATH = "/mcp";

export interface HttpServerOptions {
  town: Town;
  /** Listen address (default 127.0.0.1). Beyond loopback, every request needs a token. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface RunningHttpServer {
  /** e.g. http://127.0.0.1:7421/mcp */
  url: string;
  /** Whether the server listens beyond loopback (sign-in then required even without users). */
  exposed: boolean;
  close(): Promise<void>;
}

/** Starts the HTTP server; resolves once it listens. */
export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const host = opts.host ?? "127.0.0.1";
  let listen = { address: host, port: 0 };
  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    res.setHeader("content-security-policy", API_CSP);
    handle(opts.town, listen, req, res).catch((err: unknown) => {
      if (!res.headersSent) refuse(res, err);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  // Exposure is decided by the address the server actually listens on, never by what it was asked for.
  const address = server.address() as AddressInfo;
  listen = { address: address.address, port: address.port };
  const shown = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${listen.port}${MCP_PATH}`,
    exposed: !isLoopbackIp(listen.address),
    close: () => closeServer(server),
  };
}

async function handle(
  town: Town,
  listen: { address: string; port: number },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = req.url ?? "/";
  const headers = nodeHeaders(req);
  const reach = assessReach({ listen, peer: req.socket.remoteAddress, headers, settings: town.config.web });
  // DNS rebinding: a page on an attacker's name that resolves to 127.0.0.1 must not drive a loopback server.
  if (reach.misdirected)
    return refuseWith(res, { status: 421, code: "MISDIRECTED_REQUEST", message: reach.misdirected });
  if (url.split("?")[0] !== MCP_PATH) return send(res, 404, { error: `not found: the MCP endpoint is ${MCP_PATH}` });
  const refusal = refuseRequest({ method: req.method ?? "GET", url, headers }, { jsonOnly: true });
  if (refusal) return refuseWith(res, refusal);
  const authorization = req.headers.authorization;
  if (!parseBearer(authorization)) checkOrigin(req, reach);
  const principal = await httpPrincipal(town, { authorization, reach });
  let parsedBody: unknown;
  if (req.method === "POST") {
    try {
      parsedBody = JSON.parse((await readNodeBody(req, MAX_BODY_BYTES)).toString("utf8"));
    } catch (err) {
      if (err instanceof RequestRefused) return refuseWith(res, err);
      return refuseWith(res, { status: 400, code: "PARSE_ERROR", message: "the request body is not valid JSON" });
    }
    if (Array.isArray(parsedBody) && parsedBody.length > MAX_BATCH_CALLS)
      return refuseWith(res, {
        status: 413,
        code: "PAYLOAD_TOO_LARGE",
        message: `a batch holds at most ${MAX_BATCH_CALLS} messages, this one ${parsedBody.length}`,
      });
  }
  const server = createTownMcpServer(town, principal);
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
    maxRequestBodySize: MAX_BODY_BYTES,
  });
  res.on("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, parsedBody);
}

/**
 * Without a token, a request from a browser must come from this server's own origin (a page elsewhere must not
 * drive it). With a token, a browser cannot have sent it on its own.
 */
function checkOrigin(req: IncomingMessage, reach: Reach): void {
  const origin = req.headers.origin;
  if (!origin) return;
  let originHost: string | null;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    originHost = null; // "null" or garbage: not this host
  }
  if (originHost !== reach.host)
    throw new CoreError(
      "FORBIDDEN",
      `cross-site request refused (Origin ${JSON.stringify(origin.slice(0, 100))}): send an API token, or call from the same origin`,
      { reason: "cross_origin" },
    );
}

/** A request refused before any tool ran: the HTTP status of its core code, a JSON-RPC error body. */
function refuse(res: ServerResponse, err: unknown): void {
  const core = toCoreError(err);
  const status = httpStatusOf(core);
  if (status === 401) res.setHeader("WWW-Authenticate", 'Bearer realm="tinytown"');
  send(res, status, {
    jsonrpc: "2.0",
    error: { code: -32001, message: `${core.code}: ${core.message}`, data: { code: core.code, ...core.details } },
    id: null,
  });
}

/** A refusal of the request itself (host, size, type), as a JSON-RPC error; the unread body is not drained. */
function refuseWith(res: ServerResponse, r: Pick<HttpRefusal, "code" | "message"> & { status: number }): void {
  res.setHeader("connection", "close");
  send(res, r.status, {
    jsonrpc: "2.0",
    error: { code: -32600, message: `${r.code}: ${r.message}`, data: { code: r.code } },
    id: null,
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
