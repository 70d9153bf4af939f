/**
 * Who a request comes from and whether it may come at all: the session cookie or `Authorization: Bearer tt_…`
 * resolved through core; the open-access fallback (loopback, no users); the same-origin rule for changes.
 * Used by the role procedures (trpc.ts) and by the web's route handlers and proxy, so every entry agrees.
 */
import {
  actorOf,
  CoreError,
  parseBearer,
  requireResolvedAccess,
  resolveAccess,
  SESSION_TTL_MS,
  type AccessRequest,
  type Principal,
  type Reach,
  type ResolvedAccess,
  type SessionState,
  type Town,
} from "@tinytown/core";

import { readCookie, SESSION_COOKIE, type Context } from "./context";

/** The bearer token of a request's `Authorization` header, or null. */
export function bearerToken(headers: Headers): string | null {
  return parseBearer(headers.get("authorization"));
}

export type RequestAccess = ResolvedAccess;

/** A request's headers (credentials) and how it reached the server (core reach.ts). */
export type AccessOpts = { headers: Headers; reach: Reach; displayName?: string };

/** The credentials of a request, as core's access rule takes them. */
export function credentials(opts: AccessOpts): AccessRequest {
  return {
    bearer: bearerToken(opts.headers),
    sessionId: readCookie(opts.headers, SESSION_COOKIE),
    exposed: !opts.reach.local,
    exposedWhy: opts.reach.notLocal ?? opts.reach.misdirected,
    openName: opts.displayName ?? "anonymous",
  };
}

/** Resolves the caller by the town's one access rule (core resolveAccess); with open access, named by the `tt_name` cookie. */
export async function requestAccess(town: Town, opts: AccessOpts): Promise<RequestAccess> {
  return resolveAccess(town, credentials(opts));
}

/** The caller, or UNAUTHORIZED saying how to get in. */
export async function requirePrincipal(town: Town, opts: AccessOpts): Promise<Principal> {
  return (await requireRequestAccess(town, opts)).principal;
}

/** {@link requirePrincipal} with the state of the caller's session, if a session cookie identified them. */
export async function requireRequestAccess(
  town: Town,
  opts: AccessOpts,
): Promise<RequestAccess & { principal: Principal }> {
  return requireResolvedAccess(town, credentials(opts));
}

/**
 * Sends the session cookie again with the session's new expiry, so the browser keeps it as long as Redis keeps the
 * session. Once per response; only where the transport can still send headers (not in a streamed batch).
 */
export function refreshSessionCookie(ctx: Pick<Context, "headers" | "resHeaders" | "secure">, session: SessionState) {
  const id = readCookie(ctx.headers, SESSION_COOKIE);
  if (!id || !ctx.resHeaders) return;
  if (ctx.resHeaders.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))) return;
  ctx.resHeaders.append(
    "set-cookie",
    sessionCookie(id, { secure: ctx.secure, maxAgeMs: Math.max(0, session.expiresAt - Date.now()) }),
  );
}

/**
 * CSRF: a change made with cookies must come from a page of this server. The Origin (or, without it, the
 * Referer) must name the host the request was sent to: `host` is `reach.host` (the Host header, or the host a
 * trusted proxy forwarded — never a forwarded host from anyone else). Requests with a bearer token are exempt: a
 * browser never attaches one on its own.
 */
export function assertSameOrigin(headers: Headers, host: string | null = headers.get("host")): void {
  if (bearerToken(headers)) return;
  host = host?.trim().toLowerCase() || null;
  const source = headers.get("origin") ?? headers.get("referer");
  let sourceHost: string | null;
  try {
    sourceHost = source && source !== "null" ? new URL(source).host.toLowerCase() : null;
  } catch {
    sourceHost = null;
  }
  if (!host || !sourceHost || sourceHost !== host) {
    throw new CoreError(
      "FORBIDDEN",
      `cross-site request refused: changes must come from this dashboard (Origin ${source ? JSON.stringify(source.slice(0, 100)) : "missing"}, host ${host ?? "missing"}) or carry an API token`,
      { reason: "cross_origin" },
    );
  }
}

/** `Set-Cookie` for a session: HTTP-only, SameSite=Lax, Secure over https; it lasts as long as the session (`maxAgeMs`). */
export function sessionCookie(sessionId: string, opts: { secure: boolean; maxAgeMs?: number }): string {
  return [
    `${SESSION_COOKIE}=${encodeURIComponent(sessionId)}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Max-Age=${Math.floor((opts.maxAgeMs ?? SESSION_TTL_MS) / 1000)}`,
    ...(opts.secure ? ["Secure"] : []),
  ].join("; ");
}

/** `Set-Cookie` that removes the session cookie. */
export function clearSessionCookie(opts: { secure: boolean }): string {
  return [
    `${SESSION_COOKIE}=`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    "Max-Age=0",
    ...(opts.secure ? ["Secure"] : []),
  ].join("; ");
}

export { actorOf };
