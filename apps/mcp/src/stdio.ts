/** The stdio transport: the default, for an MCP client that starts `tt-mcp` itself. stdout carries only protocol. */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

import type { Town } from "@tinytown/core";

import { createTownMcpServer, type PrincipalSource } from "./server";

/** How long a closing server waits for calls still in flight to answer. */
const DRAIN_MS = 10_000;

export interface StdioSession {
  /** Settles when the client closes its end (stdin ends) or the transport closes. */
  closed: Promise<void>;
  /** Waits (bounded) for the requests already received to be answered, then closes the server. */
  close(): Promise<void>;
}

/** Serves `town` on stdin/stdout. */
export async function serveStdio(town: Town, principal: PrincipalSource): Promise<StdioSession> {
  const server = createTownMcpServer(town, principal);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
    transport.onclose = () => resolve();
  });
  await server.connect(transport);
  const inflight = trackRequests(transport);
  return {
    closed,
    async close() {
      // A client may write its requests and close stdin at once: answer what was received before stopping.
      await Promise.race([inflight.idle(), new Promise((r) => setTimeout(r, DRAIN_MS).unref())]);
      await server.close();
    },
  };
}

/** Counts requests received and not yet answered (wraps the callbacks the server installed on connect). */
function trackRequests(transport: StdioServerTransport): { idle: () => Promise<void> } {
  const pending = new Set<string | number>();
  let wake: (() => void) | null = null;
  const onmessage = transport.onmessage;
  transport.onmessage = (msg: JSONRPCMessage) => {
    if ("method" in msg && "id" in msg) pending.add(msg.id);
    onmessage?.(msg);
  };
  const send = transport.send.bind(transport);
  transport.send = async (msg: JSONRPCMessage) => {
    try {
      await send(msg);
    } finally {
      if (!("method" in msg) && "id" in msg && msg.id !== undefined) {
        pending.delete(msg.id);
        if (pending.size === 0) wake?.();
      }
    }
  };
  return {
    idle: () => (pending.size === 0 ? Promise.resolve() : new Promise<void>((r) => (wake = r))),
  };
}
