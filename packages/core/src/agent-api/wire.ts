/**
 * The agent API's wire constants (see protocol.ts). No imports, so a client can load them without core.
 */

/** Environment variables an agent process gets: where the API is, and its credential. */
export const AGENT_API_URL_ENV = "TT_API";
export const AGENT_TOKEN_ENV = "TT_AGENT_TOKEN";

export const AGENT_API_PATH = "/v1/";
/** Largest request body the API reads (a result or a message is at most 64 KiB of text, JSON-escaped). */
export const AGENT_API_MAX_BODY = 1024 * 1024;
/** Longest an inbox read may wait for a message. */
export const AGENT_INBOX_MAX_WAIT_MS = 10 * 60_000;
