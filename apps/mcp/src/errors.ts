/**
 * The ONE place where errors raised below the MCP server become MCP results: a tool that fails returns a tool
 * error (`isError: true`) whose text is the core message, prefixed with the core code so that an AI client can
 * tell "you may not" from "try again"; `structuredContent.error` carries the code and core's machine-readable
 * details (e.g. the current state and version after a CONFLICT). Nothing else in the package builds an error.
 * (Arguments that do not match a tool's zod schema never reach a handler: the SDK refuses them itself, as a
 * tool error "Input validation error: … <core's message> at <field>".)
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { toCoreError, type CoreError } from "@tinytown/core";

/** A failed tool call as the MCP tool error an AI client reads. */
export function toolError(err: unknown): CallToolResult {
  const core = toCoreError(err);
  return {
    isError: true,
    content: [{ type: "text", text: `${core.code}: ${core.message}` }],
    structuredContent: { error: { code: core.code, message: core.message, details: core.details } },
  };
}

/** HTTP status for a request refused before any tool runs (authentication, Redis). */
export function httpStatusOf(err: CoreError): number {
  switch (err.code) {
    case "UNAUTHORIZED":
      return 401;
    case "FORBIDDEN":
      return 403;
    case "REDIS_UNAVAILABLE":
    case "REDIS_NOT_INSTALLED":
      return 503;
    case "VALIDATION":
      return 400;
    default:
      return 500;
  }
}
