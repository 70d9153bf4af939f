/**
 * The client of the runner's agent API, used inside an agent process (TT_API + TT_AGENT_TOKEN set) by `tt` and by
 * the MCP server's agent mode (`ask_human`):
 * one POST per operation over a unix socket or loopback HTTP. It imports no Redis client, so `tt` stays small
 * there: from core it takes only the errors module and the API's protocol.
 */
import { request } from "node:http";
import { CoreError } from "../errors";
import type { AgentApiReply, AgentOpInput, AgentOpName, AgentOpResults } from "./protocol";
import { AGENT_API_PATH, AGENT_API_URL_ENV, AGENT_TOKEN_ENV } from "./wire";

type Target = { socketPath: string } | { host: string; port: number };

function target(endpoint: string): Target {
  if (endpoint.startsWith("unix:")) return { socketPath: endpoint.slice("unix:".length) };
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new CoreError("VALIDATION", `${AGENT_API_URL_ENV} is not an agent API address: ${endpoint}`);
  }
  if (url.protocol !== "http:")
    throw new CoreError("VALIDATION", `${AGENT_API_URL_ENV} must be unix:<path> or http://<host>:<port>`);
  return { host: url.hostname, port: Number(url.port) };
}

export class AgentClient {
  private readonly to: Target;

  constructor(
    private readonly endpoint: string,
    private readonly token: string,
  ) {
    this.to = target(endpoint);
  }

  /** The client for this process's run, or null outside an agent (no TT_AGENT_TOKEN). */
  static fromEnv(env: Record<string, string | undefined>): AgentClient | null {
    const token = env[AGENT_TOKEN_ENV];
    if (!token) return null;
    const endpoint = env[AGENT_API_URL_ENV];
    if (!endpoint) throw new CoreError("VALIDATION", `${AGENT_TOKEN_ENV} is set but ${AGENT_API_URL_ENV} is not`);
    return new AgentClient(endpoint, token);
  }

  /** Calls one operation; throws CoreError with the API's code and message when refused. */
  call<N extends AgentOpName>(op: N, input: AgentOpInput<N>, timeoutMs = 30_000): Promise<AgentOpResults[N]> {
    const body = JSON.stringify(input);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...this.to,
          method: "POST",
          path: AGENT_API_PATH + op,
          headers: {
            authorization: `Bearer ${this.token}`,
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            let reply: AgentApiReply<N>;
            try {
              reply = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof reply;
            } catch {
              return reject(new CoreError("INTERNAL", `the agent API answered ${res.statusCode} without JSON`));
            }
            if ("error" in reply) reject(new CoreError(reply.error.code, reply.error.message));
            else resolve(reply.data);
          });
        },
      );
      req.on("timeout", () => req.destroy(new CoreError("TIMEOUT", `the agent API did not answer ${op} in time`)));
      req.on("error", (err) =>
        reject(
          err instanceof CoreError
            ? err
            : new CoreError(
                "UNAUTHORIZED",
                `cannot reach the runner's agent API at ${this.endpoint} (${(err as NodeJS.ErrnoException).code ?? err.message}): the run this agent was started for has ended`,
              ),
        ),
      );
      req.end(body);
    });
  }
}
