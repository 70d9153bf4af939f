import type { Town } from "@tinytown/core";

/**
 * Per-request context shared by every procedure. `town` is set when the caller injects one (tests, a CLI
 * hosting the API in-process); otherwise `townProcedure` fills it with the process's town on first use.
 */
export interface Context {
  headers: Headers;
  /** Display name of the person (or agent) making the call; passed to core as `by` on every change. */
  actor: string;
  town?: Town;
}

/** Cookie the dashboard sets when someone picks a display name. */
export const ACTOR_COOKIE = "tt_name";
const DEFAULT_ACTOR = "anonymous";
/** Longest display name we accept from the cookie; anything longer is treated as absent. */
const MAX_ACTOR_LENGTH = 64;

/**
 * Builds the context for one request. Transport-agnostic: the Next route handler, React Server Components
 * and tests all pass plain `Headers`; tests also pass their own `town`.
 */
export function createContext(opts: { headers: Headers; town?: Town }): Context {
  return { headers: opts.headers, actor: readActor(opts.headers), ...(opts.town ? { town: opts.town } : {}) };
}

/** Reads the display name from the `tt_name` cookie; falls back to "anonymous" when missing or malformed. */
function readActor(headers: Headers): string {
  const cookie = headers.get("cookie");
  if (!cookie) return DEFAULT_ACTOR;
  for (const part of cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== ACTOR_COOKIE) continue;
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return DEFAULT_ACTOR; // malformed percent-encoding
    }
    value = value.trim();
    // Control characters would corrupt logs and event payloads.
    if (value.length === 0 || value.length > MAX_ACTOR_LENGTH || /[\u0000-\u001f\u007f]/.test(value)) {
      return DEFAULT_ACTOR;
    }
    return value;
  }
  return DEFAULT_ACTOR;
}
