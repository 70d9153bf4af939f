/**
 * The dashboard's server: Next behind a plain Node HTTP server that owns the socket. Next's route handlers get no
 * socket, so this is where the facts behind "who may reach the town" are known — the address the server ACTUALLY
 * listens on and each request's peer — and where core's one rule (reach.ts) is applied to every request before
 * Next sees it: a Host that is not this server's name is refused (DNS rebinding), the body, batch and JSON limits
 * apply, every response gets the security headers (a nonce-based CSP that Next stamps on its scripts), and the
 * verdict travels on to the route handlers in an internal header that no client can forge.
 *
 * Usage: node apps/web/server.mjs [--host 127.0.0.1] [--port 3000] [--town <dir>] [--dev]
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import next from "next";

import {
  API_CSP,
  contentSecurityPolicy,
  encodeReach,
  installReachKey,
  newNonce,
  nodeHeaders,
  REACH_HEADER,
  refusalBody,
  refuseRequest,
  SECURITY_HEADERS,
  type HttpRefusal,
} from "@tinytown/api/guard";
import { findTownDir, readConfig } from "@tinytown/core/config";
import { assessReach, DEFAULT_WEB_SETTINGS, isLoopbackIp, type WebSettings } from "@tinytown/core/reach";

export const USAGE = `Usage: node apps/web/server.mjs [--host <addr>] [--port <n>] [--town <dir>] [--dev]

The Tinytown dashboard.

  --host <addr>   address to listen on (default 127.0.0.1). On loopback only, a town without users is open to
                  requests from this machine; anywhere else sign-in is always required
  --port <n>      port (default 3000; 0 picks a free one)
  --town <dir>    the town directory (default: TT_TOWN_DIR, or the town found from the current directory)
  --dev           Next's development mode (hot reload)

Settings from tinytown.json: "web": { "allowedHosts": [...], "trustedProxies": [...], "maxStreamsPerClient": 16 }.`;

/** Request headers only this server may set; a client's copies are deleted. */
const INTERNAL_HEADERS = [REACH_HEADER, "content-security-policy", "x-nonce"];
const TRPC_ENDPOINT = "/api/trpc";
const EXIT_GRACE_MS = 3_000;
const SHUTDOWN_KEY = Symbol.for("tinytown.web.shutdown");

interface Options {
  host: string;
  port: number;
  townDir: string | null;
  dev: boolean;
}

/** Parses argv; throws an Error whose message says what is wrong. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Options | "help" {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      host: { type: "string" },
      port: { type: "string" },
      town: { type: "string" },
      dev: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  const port = values.port ?? "3000";
  if (!/^\d+$/.test(port) || Number(port) > 65_535)
    throw new Error(`--port must be 0–65535, not ${JSON.stringify(port)}`);
  const townDir = values.town ? resolve(values.town) : env.TT_TOWN_DIR ? resolve(env.TT_TOWN_DIR) : findTownDir(".");
  return { host: values.host ?? "127.0.0.1", port: Number(port), townDir, dev: values.dev ?? false };
}

/** The town's `web` settings; defaults when the server runs on REDIS_URL + TT_TOWN alone. */
function webSettings(townDir: string | null): WebSettings {
  return townDir ? readConfig(townDir).web : DEFAULT_WEB_SETTINGS;
}

const log = (line: string) => process.stderr.write(`tt-web: ${line}\n`);

/** Runs the dashboard until SIGINT/SIGTERM; resolves to the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: Options | "help";
  let settings: WebSettings;
  try {
    parsed = parseOptions(argv, env);
    settings = parsed === "help" ? DEFAULT_WEB_SETTINGS : webSettings(parsed.townDir);
  } catch (err) {
    log(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === "help") {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const opts = parsed;
  // The API connects to the town on first use; it finds it through TT_TOWN_DIR.
  if (opts.townDir) process.env.TT_TOWN_DIR = opts.townDir;
  installReachKey();
  const shutdown = ((globalThis as Record<symbol, unknown>)[SHUTDOWN_KEY] ??= new AbortController()) as AbortController;

  const server = createServer();
  try {
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(opts.port, opts.host, () => ok());
    });
  } catch (err) {
    log(`cannot listen on ${opts.host}:${opts.port}: ${(err as Error).message}`);
    return 1;
  }
  const address = server.address() as AddressInfo;
  const listen = { address: address.address, port: address.port };
  // Server-side rendering calls back into the API on this port (apps/web/src/env.ts).
  process.env.PORT = String(listen.port);

  const dir = fileURLToPath(new URL("..", import.meta.url));
  const app = next({ dev: opts.dev, dir, hostname: opts.host, port: listen.port });
  const handle = app.getRequestHandler();
  const ready = app.prepare();

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    serve(req, res).catch((err: unknown) => {
      log(`request failed: ${(err as Error).message}`);
      if (!res.headersSent) refuse(res, { status: 500, code: "INTERNAL_SERVER_ERROR", message: "internal error" });
      else res.end();
    });
  });
  if (opts.dev) {
    const upgrade = app.getUpgradeHandler();
    server.on("upgrade", (req: IncomingMessage, socket, head: Buffer) => {
      const reach = assessReach({ listen, peer: req.socket.remoteAddress, headers: nodeHeaders(req), settings });
      if (reach.misdirected) return socket.destroy();
      void upgrade(req, socket, head);
    });
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const h of INTERNAL_HEADERS) delete req.headers[h];
    const headers = nodeHeaders(req);
    const reach = assessReach({ listen, peer: req.socket.remoteAddress, headers, settings });
    const csp = contentSecurityPolicy(newNonce(), { dev: opts.dev });
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    res.setHeader("content-security-policy", csp);
    if (reach.misdirected) return refuse(res, { status: 421, code: "MISDIRECTED_REQUEST", message: reach.misdirected });
    const url = req.url ?? "/";
    const refusal = refuseRequest(
      { method: req.method ?? "GET", url, headers },
      { jsonOnly: url.startsWith("/api/"), trpcEndpoint: TRPC_ENDPOINT },
    );
    if (refusal) return refuse(res, refusal);
    req.headers[REACH_HEADER] = encodeReach(reach);
    // Next finds the nonce in the request's policy and puts it on every script it renders.
    req.headers["content-security-policy"] = csp;
    await ready;
    await handle(req, res);
  }

  await ready;
  const url = `http://${listen.address.includes(":") ? `[${listen.address}]` : listen.address}:${listen.port}`;
  log(
    `dashboard on ${url}${opts.townDir ? ` for the town in ${opts.townDir}` : ""}; ` +
      (isLoopbackIp(listen.address)
        ? "loopback only: a town without users is open to this machine"
        : "listening beyond loopback: sign-in is always required (add an admin with `tt user add <name> --role admin`)"),
  );
  if (settings.trustedProxies.length) log(`trusting forwarding headers from ${settings.trustedProxies.join(", ")}`);

  const signal = await new Promise<NodeJS.Signals>((ok) => {
    for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, () => ok(s));
  });
  const code = 128 + (signal === "SIGINT" ? 2 : 15);
  log(`${signal}: stopping`);
  // Open live streams end now (clients resume elsewhere from their last event id); then the server closes.
  shutdown.abort(new Error(`server shutting down (${signal})`));
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  await new Promise<void>((ok) => {
    server.close(() => ok());
    server.closeIdleConnections();
  });
  await app.close().catch(() => undefined);
  return code;
}

function refuse(res: ServerResponse, r: Pick<HttpRefusal, "code" | "message"> & { status: number }): void {
  res.statusCode = r.status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("cache-control", "no-store");
  res.setHeader("content-security-policy", API_CSP);
  // The body is not read: close the connection rather than drain a large upload.
  if (r.status === 413 || r.status === 411) res.setHeader("connection", "close");
  res.end(refusalBody(r));
}
