/**
 * The runner's agent API: a small HTTP server on a unix socket in the town's state dir (0600, in a 0700 dir),
 * or on 127.0.0.1 with a random port when that path is too long for a socket. Agent processes reach it with
 * the per-run token the runner gave them (TT_API, TT_AGENT_TOKEN); each request is checked against the run's
 * scope and handled by one core call. CoreError codes map to HTTP statuses here, once.
 */
import { chmodSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import {
  AGENT_API_MAX_BODY,
  AGENT_API_PATH,
  AGENT_API_URL_ENV,
  AGENT_TOKEN_ENV,
  AgentOps,
  CoreError,
  isAgentOp,
  processAlive,
  toCoreError,
  validationError,
  type AgentOpName,
  type CoreErrorCode,
  type Town,
} from "@tinytown/core";
import type { Logger } from "../log";
import { RunCredentials, type Credential, type RunScope } from "./credentials";
import { HANDLERS } from "./operations";

/** Unix socket paths are limited to 104-108 bytes; beyond this the API listens on loopback TCP. */
const SOCKET_PATH_MAX = 100;
/** Requests one credential may have open at once (an inbox wait holds one). */
const MAX_IN_FLIGHT = 8;

const STATUS: Partial<Record<CoreErrorCode, number>> = {
  VALIDATION: 400,
  AMBIGUOUS: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID_STATE: 409,
  CONFLICT: 409,
  ALREADY_EXISTS: 409,
  REDIS_UNAVAILABLE: 503,
  TIMEOUT: 504,
};

class HttpError extends CoreError {
  constructor(
    readonly status: number,
    code: CoreErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

export class AgentApi {
  private readonly credentials = new RunCredentials();
  private readonly inFlight = new Map<Credential, number>();
  private server: Server | null = null;
  private socketPath: string | null = null;
  private url: string | null = null;

  constructor(
    private readonly town: Town,
    /** Where the socket goes (the town's state dir). */
    private readonly stateDir: string,
    private readonly log: Logger,
  ) {}

  /** Starts listening; returns the endpoint agents are given (`unix:<path>` or `http://127.0.0.1:<port>`). */
  async listen(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.requestTimeout = 0; // inbox waits are long; every request is bounded by its own limits
    server.headersTimeout = 10_000;
    const socket = this.socketFor();
    if (socket) {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(socket, () => resolve());
      });
      chmodSync(socket, 0o600);
      this.socketPath = socket;
      this.url = `unix:${socket}`;
    } else {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
      });
      this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
    this.server = server;
    return this.url;
  }

  /** A credential for one run; the environment variables that hand it to the agent process. */
  issue(scope: RunScope): { token: string; env: Record<string, string> } {
    if (!this.url) throw new Error("the agent API is not listening");
    const token = this.credentials.issue(scope);
    return { token, env: { [AGENT_API_URL_ENV]: this.url, [AGENT_TOKEN_ENV]: token } };
  }

  revoke(token: string): void {
    this.credentials.revoke(token);
  }

  /** Stops accepting requests; revokes every credential (cutting waits short). */
  async close(): Promise<void> {
    this.credentials.revokeAll();
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    if (this.socketPath) rmSync(this.socketPath, { force: true });
  }

  /** A socket path in `<state>/run/` when it fits and the directory is ours; null for TCP. */
  private socketFor(): string | null {
    const dir = join(this.stateDir, "run");
    const path = join(dir, `agent-api-${process.pid}-${randomBytes(4).toString("hex")}.sock`);
    if (Buffer.byteLength(path) > SOCKET_PATH_MAX) return null;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // Both ours, and the socket's dir private: nobody else may swap the socket agents are told to use.
      for (const d of [this.stateDir, dir]) if (statSync(d).uid !== process.getuid?.()) return null;
      if ((statSync(dir).mode & 0o077) !== 0) return null;
      removeStaleSockets(dir);
      return path;
    } catch {
      return null;
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let credential: Credential | null = null;
    try {
      const op = this.route(req);
      credential = this.authenticate(req);
      const open = this.inFlight.get(credential) ?? 0;
      if (open >= MAX_IN_FLIGHT)
        throw new HttpError(429, "CONFLICT", `at most ${MAX_IN_FLIGHT} requests at once per agent run`);
      this.inFlight.set(credential, open + 1);
      const body = await readJson(req);
      const parsed = AgentOps[op].safeParse(body);
      if (!parsed.success) throw validationError(`${op} request`, parsed.error.issues);
      const signal = AbortSignal.any([credential.signal, closedSignal(req, res)]);
      const run = HANDLERS[op] as (t: Town, s: RunScope, i: unknown, sig: AbortSignal) => Promise<unknown>;
      const data = await run(this.town, credential.scope, parsed.data, signal);
      reply(res, 200, { data });
    } catch (err) {
      const core = toCoreError(err);
      if (core.code === "INTERNAL" && core !== err) {
        this.log.error("agent API", err);
        reply(res, 500, { error: { code: "INTERNAL", message: "internal error in the runner's agent API" } });
      } else {
        const status = core instanceof HttpError ? core.status : (STATUS[core.code] ?? 500);
        reply(res, status, { error: { code: core.code, message: core.message } });
      }
    } finally {
      if (credential) {
        const left = (this.inFlight.get(credential) ?? 1) - 1;
        if (left > 0) this.inFlight.set(credential, left);
        else this.inFlight.delete(credential);
      }
    }
  }

  private route(req: IncomingMessage): AgentOpName {
    const path = (req.url ?? "").split("?")[0]!;
    const name = path.startsWith(AGENT_API_PATH) ? path.slice(AGENT_API_PATH.length) : "";
    if (!isAgentOp(name)) throw new HttpError(404, "NOT_FOUND", `no agent operation ${JSON.stringify(path)}`);
    if (req.method !== "POST") throw new HttpError(405, "VALIDATION", `${name} takes a POST`);
    return name;
  }

  private authenticate(req: IncomingMessage): Credential {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "");
    const credential = m ? this.credentials.find(m[1]!) : null;
    if (!credential)
      throw new HttpError(
        401,
        "UNAUTHORIZED",
        "this agent credential is not valid: it belongs to a run that has ended (or never existed)",
      );
    return credential;
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/json\b/i.test(type))
    throw new HttpError(415, "VALIDATION", "the agent API takes application/json");
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > AGENT_API_MAX_BODY) throw new HttpError(413, "VALIDATION", "request body over 1 MiB");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > AGENT_API_MAX_BODY) throw new HttpError(413, "VALIDATION", "request body over 1 MiB");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
  } catch {
    throw new HttpError(400, "VALIDATION", "the request body is not valid JSON");
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const json = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
  res.end(json);
}

/** Aborted when the client goes away before the answer. */
function closedSignal(req: IncomingMessage, res: ServerResponse): AbortSignal {
  const c = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) c.abort();
  });
  req.once("error", () => c.abort());
  return c.signal;
}

/** Sockets left by runners that died without closing (named after their pid). */
function removeStaleSockets(dir: string): void {
  for (const f of readdirSync(dir)) {
    const pid = /^agent-api-(\d+)-[0-9a-f]+\.sock$/.exec(f)?.[1];
    if (pid && Number(pid) !== process.pid && !processAlive(Number(pid))) rmSync(join(dir, f), { force: true });
  }
}
