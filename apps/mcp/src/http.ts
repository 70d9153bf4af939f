/**
 * Streamable HTTP transport, stateless: every POST to /mcp is authenticated on its own (so a revoked token or a
 * changed role takes effect on the next request) and served by a fresh server bound to that caller.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

import { CoreError, isLoopbackHost, type Town } from "@tinytown/core";

import { parseBearer } from "@tinytown/core";
import { httpPrincipal } from "./auth";
import { httpStatusOf, toCoreError } from "./errors";
import { createTownMcpServer } from "./server";

export const MCP_PATH = "/mcp";
/** Tool inputs are at most 64 KiB of text; anything much larger is refused before it is parsed. */
const MAX_BODY_BYTES = 1024 * 1024;

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
  const exposed = !isLoopbackHost(host);
  const server = createServer((req, res) => {
    handle(opts.town, exposed, req, res).catch((err: unknown) => {
      if (!res.headersSent) refuse(res, err);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return { url: `http://${shown}:${port}${MCP_PATH}`, exposed, close: () => closeServer(server) };
}

async function handle(town: Town, exposed: boolean, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (path !== MCP_PATH) return send(res, 404, { error: `not found: the MCP endpoint is ${MCP_PATH}` });
  const authorization = req.headers.authorization;
  // DNS rebinding / cross-site requests: a browser page elsewhere must not drive an open loopback server.
  if (!parseBearer(authorization)) checkOrigin(req, exposed);
  const principal = await httpPrincipal(town, { authorization, exposed });
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
  await transport.handleRequest(req, res);
}

/**
 * Without a token, a request from a browser must come from the same host, and — on loopback — be addressed to a
 * loopback name (a rebound DNS name means an attacker's page). With a token, a browser cannot have sent it on its own.
 */
function checkOrigin(req: IncomingMessage, exposed: boolean): void {
  const host = (req.headers.host ?? "").toLowerCase();
  const hostname = host.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
  if (!exposed && !isLoopbackHost(hostname))
    throw forbidden(
      `requests to this loopback server must address it as localhost or 127.0.0.1 (Host ${JSON.stringify(host.slice(0, 100))})`,
    );
  const origin = req.headers.origin;
  if (!origin) return;
  let originHost: string | null;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    originHost = null; // "null" or garbage: not this host
  }
  if (originHost !== host)
    throw forbidden(
      `cross-site request refused (Origin ${JSON.stringify(origin.slice(0, 100))}): send an API token, or call from the same origin`,
    );
}

const forbidden = (message: string) => new CoreError("FORBIDDEN", message, { reason: "cross_origin" });

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

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
