/**
 * The ONE place where errors raised below the MCP server become MCP results: a tool that fails returns a tool
 * error (`isError: true`) whose text is the core message, prefixed with the core code so that an AI client can
 * tell "you may not" from "try again"; `structuredContent.error` carries the code and core's machine-readable
 * details (e.g. the current state and version after a CONFLICT). Nothing else in the package builds an error.
 * (Arguments that do not match a tool's zod schema never reach a handler: the SDK refuses them itself, as a
 * tool error "Input validation error: … <core's message> at <field>".)
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { ZodError } from "zod";

import { CoreError, validationError } from "@tinytown/core";

/** The core error an exception stands for: CoreError as is; bad input as VALIDATION; a lost Redis as REDIS_UNAVAILABLE. */
export function toCoreError(err: unknown): CoreError {
  if (err instanceof CoreError) return err;
  if (err instanceof ZodError) return validationError("input", err.issues);
  if (isRedisConnectionError(err)) {
    return new CoreError(
      "REDIS_UNAVAILABLE",
      `the town's Redis is unreachable (${(err as Error).message}); try again in a moment`,
    );
  }
  return new CoreError("INTERNAL", `internal error: ${err instanceof Error ? err.message : String(err)}`);
}

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

/** ioredis gave up on a command (MaxRetriesPerRequestError) or found its connection closed / refused. */
function isRedisConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.name === "MaxRetriesPerRequestError" ||
    /Connection is closed|ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT/.test(err.message)
  );
}
