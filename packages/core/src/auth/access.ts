/**
 * When sign-in is required, and who a request's credentials belong to. Transport-agnostic: the API reads the
 * cookie and the Authorization header, then asks here.
 */
import { CoreError } from "../errors";
import type { Town } from "../town/town";
import type { Principal } from "./roles";
import { touchSession } from "./sessions";
import { resolveToken } from "./tokens";
import { hasUsers } from "./users";

/** How the town is to be accessed by this server. */
export interface AccessMode {
  /** Everything requires sign-in (a session or a token). */
  required: boolean;
  hasUsers: boolean;
  /** The request is not really local (see reach.ts): sign-in is required even before any user exists. */
  exposed: boolean;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"]);

/** Whether a configured listen address is loopback only (unset means the default, 127.0.0.1). For a request, use reach.ts. */
export function isLoopbackHost(host: string | undefined | null): boolean {
  const h = (host ?? "").trim().toLowerCase();
  return h === "" || LOOPBACK.has(h) || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * Sign-in is required as soon as users exist, or when the request is not really local (then, with no users,
 * nothing is allowed at all until an admin is added with `tt user add <name> --role admin`).
 */
export async function accessMode(town: Town, opts: { exposed: boolean }): Promise<AccessMode> {
  const users = await hasUsers(town);
  return { required: users || opts.exposed, hasUsers: users, exposed: opts.exposed };
}

/** A session behind a request: when it ends, and whether this request renewed it (then refresh the cookie). */
export interface SessionState {
  expiresAt: number;
  renewed: boolean;
}

type Credentials = { bearer?: string | null; sessionId?: string | null };

async function identify(
  town: Town,
  creds: Credentials,
): Promise<{ principal: Principal; session: SessionState | null } | null> {
  if (creds.bearer) {
    const principal = await resolveToken(town, creds.bearer);
    return principal ? { principal, session: null } : null;
  }
  if (creds.sessionId) {
    const s = await touchSession(town, creds.sessionId);
    return s ? { principal: s.principal, session: { expiresAt: s.expiresAt, renewed: s.renewed } } : null;
  }
  return null;
}

/** The principal behind a bearer token or a session id (the token wins when both are given); null if neither is valid. */
export async function authenticate(town: Town, creds: Credentials): Promise<Principal | null> {
  return (await identify(town, creds))?.principal ?? null;
}

/** The token of an `Authorization: Bearer …` header value, or null. */
export function parseBearer(header: string | null | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m ? m[1]! : null;
}

/** A credential that was given but is not valid: refused outright, so a script learns its token is wrong. */
export function badTokenError(where = "the bearer token"): CoreError {
  return new CoreError(
    "UNAUTHORIZED",
    `${where} is not a valid API token of this town (revoked, mistyped, or of another town): create one with \`tt token create <name> --role <role>\``,
    { reason: "bad_token" },
  );
}

export interface ResolvedAccess {
  mode: AccessMode;
  /** Null when the caller has no valid credentials and sign-in is required. */
  principal: Principal | null;
  /** Set when the principal came from a session cookie. */
  session?: SessionState | null;
}

/** What {@link resolveAccess} needs: the credentials and how the request reached the server. */
export interface AccessRequest {
  bearer?: string | null;
  sessionId?: string | null;
  /** Not really local (`!reach.local`, see reach.ts); in-process callers pass false. */
  exposed: boolean;
  /** Why it is not local, for the refusal (`reach.notLocal`). */
  exposedWhy?: string | null;
  openName: string;
}

/**
 * The one rule for every entry point (dashboard, HTTP API, MCP): a given bearer token must be valid; valid
 * credentials give their principal; without credentials and with open access (a local request, no users) the
 * caller is an `open` admin named `openName`; otherwise no principal.
 */
export async function resolveAccess(town: Town, opts: AccessRequest): Promise<ResolvedAccess> {
  const [mode, who] = await Promise.all([accessMode(town, { exposed: opts.exposed }), identify(town, opts)]);
  if (opts.bearer && !who) throw badTokenError();
  if (who) return { mode, principal: who.principal, session: who.session };
  if (!mode.required) return { mode, principal: { kind: "open", name: opts.openName, role: "admin" } };
  return { mode, principal: null };
}

/** Like {@link resolveAccess}, but without a principal throws UNAUTHORIZED saying how to get in. */
export async function requireAccess(town: Town, opts: AccessRequest): Promise<Principal> {
  return (await requireResolvedAccess(town, opts)).principal;
}

/** {@link requireAccess} with the rest of what was resolved (the session's state, for refreshing its cookie). */
export async function requireResolvedAccess(
  town: Town,
  opts: AccessRequest,
): Promise<ResolvedAccess & { principal: Principal }> {
  const access = await resolveAccess(town, opts);
  const { mode, principal } = access;
  if (principal) return { ...access, principal };
  if (!mode.hasUsers) {
    throw new CoreError(
      "UNAUTHORIZED",
      `open access is only for requests from this machine to a server that listens on loopback only${opts.exposedWhy ? ` (here ${opts.exposedWhy})` : ""}, and the town has no users yet: add an admin with \`tt user add <name> --role admin\`, then sign in or create a token with \`tt token create <name> --role <role>\``,
      { reason: "no_users" },
    );
  }
  throw new CoreError(
    "UNAUTHORIZED",
    "this town requires sign-in: sign in, or send `Authorization: Bearer <token>` (create one with `tt token create <name> --role <role>`)",
    { reason: "signed_out" },
  );
}
