import { ACTOR_COOKIE, DisplayName, IN_PROCESS_REACH, unknownReach, type Reach, type Town } from "@tinytown/core";

import { reachFromHeaders } from "./guard/reach-header";

// The cookie names live in core (the web app imports them from @tinytown/core/schema); re-exported for this package.
export { ACTOR_COOKIE, SESSION_COOKIE } from "@tinytown/core";

/**
 * Per-request context shared by every procedure. `town` is set when the caller injects one (tests, a CLI
 * hosting the API in-process); otherwise `townProcedure` fills it with the process's town on first use.
 * Who the caller is (`principal`) is resolved by the role procedures in trpc.ts, once the town is known.
 */
export interface Context {
  headers: Headers;
  /**
   * Who is acting; passed to core as `by` on every change. Role procedures set it from the principal ("alice",
   * "token:ci-bot"); with open access it is the display name from the `tt_name` cookie.
   */
  actor: string;
  town?: Town;
  /**
   * How the request reached the server (core reach.ts): open access only when `reach.local`; the client's address,
   * https and the host it addressed come from here too.
   */
  reach: Reach;
  /** "http" for requests that came over the network (mutations get the same-origin check); "internal" for in-process callers. */
  transport: "http" | "internal";
  /** Response headers, when the transport can still send them (the sign-in cookie is set here). */
  resHeaders?: Headers;
  /** The client's address: the socket peer, or what a trusted proxy forwarded (for the sign-in rate limit). */
  clientIp: string;
  /** The request came over https through a trusted proxy: cookies get `Secure`. */
  secure: boolean;
}

const DEFAULT_ACTOR = "anonymous";

export interface CreateContextOptions {
  headers: Headers;
  town?: Town;
  /**
   * How the request reached the server. Default: over HTTP, what the dashboard's server recorded in the request
   * (never local without it); in process, local.
   */
  reach?: Reach;
  /** Shorthand for tests and in-process hosts: true = a request that is not local, false = a local one. */
  exposed?: boolean;
  transport?: "http" | "internal";
  resHeaders?: Headers;
  /** The request URL (kept for callers; https is decided by `reach`). */
  url?: string;
}

/**
 * Builds the context for one request. Transport-agnostic: the Next route handler, React Server Components
 * and tests all pass plain `Headers`; tests also pass their own `town`.
 */
export function createContext(opts: CreateContextOptions): Context {
  const transport = opts.transport ?? "internal";
  const reach =
    opts.reach ??
    (opts.exposed === true
      ? unknownReach(opts.headers, "the request comes from beyond this machine")
      : opts.exposed === false || transport === "internal"
        ? { ...IN_PROCESS_REACH, host: opts.headers.get("host")?.toLowerCase() ?? null }
        : reachFromHeaders(opts.headers));
  return {
    headers: opts.headers,
    actor: readActor(opts.headers),
    reach,
    transport,
    clientIp: reach.clientIp,
    secure: reach.secure,
    ...(opts.resHeaders ? { resHeaders: opts.resHeaders } : {}),
    ...(opts.town ? { town: opts.town } : {}),
  };
}

/** The value of one cookie, or null. */
export function readCookie(headers: Headers, name: string): string | null {
  const cookie = headers.get("cookie");
  if (!cookie) return null;
  for (const part of cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return null; // malformed percent-encoding
    }
  }
  return null;
}

/** Reads the display name from the `tt_name` cookie; falls back to "anonymous" when missing or not a {@link DisplayName}. */
function readActor(headers: Headers): string {
  return DisplayName.safeParse(readCookie(headers, ACTOR_COOKIE) ?? "").data ?? DEFAULT_ACTOR;
}
