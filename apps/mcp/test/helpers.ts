/** An MCP client for tests, and a way to read a tool's result. */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";

import type { Town } from "@tinytown/core";

import { createTownMcpServer, type PrincipalSource } from "../src/server";

export interface ToolOutcome {
  isError: boolean;
  /** The text content (JSON on success, "CODE: message" on error). */
  text: string;
  /** The structured content (the result, or `{ error: { code, message, details } }`). */
  data: Record<string, unknown> & { error?: { code: string; message: string; details: Record<string, unknown> } };
}

export class TestClient {
  constructor(readonly client: Client) {}

  static async connect(transport: Transport): Promise<TestClient> {
    const client = new Client({ name: "tinytown-test", version: "0.0.0" });
    await client.connect(transport);
    return new TestClient(client);
  }

  /** A client talking to `createTownMcpServer(town, principal)` in memory. */
  static async inMemory(town: Town, principal: PrincipalSource): Promise<TestClient> {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await createTownMcpServer(town, principal).connect(serverSide);
    return TestClient.connect(clientSide);
  }

  async call(name: string, args: Record<string, unknown> = {}): Promise<ToolOutcome> {
    const res = await this.client.callTool({ name, arguments: args });
    const content = res.content as { type: string; text?: string }[];
    const text = content.map((c) => c.text ?? "").join("");
    return { isError: res.isError === true, text, data: (res.structuredContent ?? {}) as ToolOutcome["data"] };
  }

  /** Calls a tool that must succeed; returns its result (checking that the text content is the same JSON). */
  async ok<T = Record<string, unknown>>(name: string, args: Record<string, unknown> = {}): Promise<T> {
    const r = await this.call(name, args);
    if (r.isError) throw new Error(`${name} failed: ${r.text}`);
    expectSameJson(r.text, r.data);
    return r.data as T;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

function expectSameJson(text: string, data: unknown): void {
  if (JSON.stringify(JSON.parse(text)) !== JSON.stringify(data))
    throw new Error("text content and structuredContent differ");
}

export const TOOL_NAMES = [
  "town_status",
  "list_agents",
  "spawn_agent",
  "agent_action",
  "list_tasks",
  "get_task",
  "create_task",
  "move_task",
  "send_message",
  "read_inbox",
  "task_log",
  "list_events",
];
