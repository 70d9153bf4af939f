/**
 * `tt-mcp` inside an agent run (TT_AGENT_TOKEN and TT_API set, e.g. `claude --mcp-config` naming `tt-mcp`): no town
 * connection and no Redis URL — its tools go through the runner's agent API with the run's credential, like `tt` in
 * agent mode. `ask_human` puts the question in the team's "Needs you" inbox; the task waits for the answer.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

import { AgentClient } from "@tinytown/core/agent-api/client";

import { toolError } from "./errors";
import { SERVER_NAME, SERVER_VERSION } from "./server";

export const AskHumanArgs = {
  question: z.string().min(1).max(8192).describe("the question, complete enough to answer without other context"),
  options: z.array(z.string().min(1).max(200)).max(10).optional().describe("choices to offer, if any"),
};

/** The MCP server of an agent run: its tools call the runner's agent API through `client`. */
export function createAgentMcpServer(client: AgentClient): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION },
    {
      instructions:
        "You run as a Tinytown agent. When only a person can decide something, call ask_human; when it says your task waits, end your run: you will be started again with the answer in your prompt.",
    },
  );
  server.registerTool(
    "ask_human",
    {
      title: "Ask a human",
      description:
        "Asks the people running this town a question (their 'Needs you' inbox). Depending on the model, either returns the answer, or records the question and parks your task: then stop working and end your run; the answer starts your next attempt.",
      inputSchema: AskHumanArgs,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async (args): Promise<CallToolResult> => {
      try {
        const r = await client.call("ask", { question: args.question, options: args.options ?? [] }, 11 * 60_000);
        const text =
          r.mode === "end-run"
            ? `Your question is recorded (${r.need.id}) and your task waits for the answer. End your run now: you will be started again with the answer in your prompt.`
            : r.answer === null
              ? "No answer came in time; the question stays open. Go on with your best judgement, or ask again later."
              : `Answer from ${r.answeredBy ?? "a human"}: ${r.answer}`;
        return { content: [{ type: "text", text }], structuredContent: r as unknown as Record<string, unknown> };
      } catch (err) {
        return toolError(err);
      }
    },
  );
  return server;
}

/** Serves the agent-mode tools on stdio until the client closes its end. */
export async function serveAgentStdio(client: AgentClient): Promise<{ closed: Promise<void>; close(): Promise<void> }> {
  const server = createAgentMcpServer(client);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
    transport.onclose = () => resolve();
  });
  await server.connect(transport);
  return { closed, close: () => server.close() };
}
