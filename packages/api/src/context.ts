import { ACTOR_COOKIE, DisplayName, type Town } from "@tinytown/core";

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
  /** The server listens beyond loopback: sign-in is required even before any user exists. */
  exposed: boolean;
  /** "http" for requests that came over the network (mutations get the same-origin check); "internal" for in-process callers. */
  transport: "http" | "internal";
  /** Response headers, when the transport can still send them (the sign-in cookie is set here). */
  resHeaders?: Headers;
  /** The client's address as best known (for the sign-in rate limit). */
  clientIp: string;
  /** The request came over https (directly or through a proxy that says so): cookies get `Secure`. */
  secure: boolean;
}

const DEFAULT_ACTOR = "anonymous";

export interface CreateContextOptions {
  headers: Headers;
  town?: Town;
  exposed?: boolean;
  transport?: "http" | "internal";
  resHeaders?: Headers;
  /** The request URL, to tell https. */
  url?: string;
}

/**
 * Builds the context for one request. Transport-agnostic: the Next route handler, React Server Components
 * and tests all pass plain `Headers`; tests also pass their own `town`.
 */
export function createContext(opts: CreateContextOptions): Context {
  const proto = opts.headers.get("x-forwarded-proto")?.split(",")[0]?.trim();
  return {
    headers: opts.headers,
    actor: readActor(opts.headers),
    exposed: opts.exposed ?? false,
    transport: opts.transport ?? "internal",
    clientIp: clientIp(opts.headers),
    secure: proto === "https" || (opts.url?.startsWith("https:") ?? false),
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

/**
 * The last X-Forwarded-For entry: what the nearest proxy (or Next itself, which fills the header from the socket
 * when it is absent) saw. A client can forge it when nothing is in front; the per-user cap of the rate limit covers that.
 */
function clientIp(headers: Headers): string {
  const xff = headers.get("x-forwarded-for");
  const last = xff?.split(",").at(-1)?.trim();
  return last || headers.get("x-real-ip") || "unknown";
}
