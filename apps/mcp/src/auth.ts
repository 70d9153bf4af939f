/**
 * Who an MCP caller is. The rules are the town's (core `accessMode` / `authenticate`), the same as the dashboard's:
 * sign-in is required once users exist or when a request is not really local (core reach.ts); a bearer token that is
 * not valid is refused outright; otherwise, for a local request to a town with no users, access is open.
 */
import {
  accessMode,
  authenticate,
  badTokenError,
  CoreError,
  parseBearer,
  requireAccess,
  type Principal,
  type Reach,
  type Town,
} from "@tinytown/core";

/**
 * The principal of an HTTP request by the town's one access rule (core requireAccess; open access only for a
 * request that `reach` says is local), or UNAUTHORIZED saying how to get in.
 */
export async function httpPrincipal(
  town: Town,
  opts: { authorization: string | null | undefined; reach: Reach },
): Promise<Principal> {
  return requireAccess(town, {
    bearer: parseBearer(opts.authorization),
    exposed: !opts.reach.local,
    exposedWhy: opts.reach.notLocal,
    openName: "mcp",
  });
}

export interface StdioAccess {
  /** Resolves the principal again on every call, so a revoked token or a changed role takes effect at once. */
  principal: () => Promise<Principal>;
  /** A line for stderr saying who the server acts as. */
  describe: string;
}

/**
 * The principal of the stdio server: the owner of TT_TOKEN, or — when the town has no users — the local user,
 * with open access (stdio is reachable only by whoever can start the process). Checked once at start (so a bad
 * setup fails fast), then again on every tool call.
 */
export async function stdioAccess(
  town: Town,
  opts: { token: string | undefined; actor: string },
): Promise<StdioAccess> {
  const { token } = opts;
  if (token) {
    const resolveNow = async () => {
      const p = await authenticate(town, { bearer: token });
      if (!p) throw badTokenError("TT_TOKEN");
      return p;
    };
    const p = await resolveNow();
    return { principal: resolveNow, describe: `acting as token ${p.name} (${p.role})` };
  }
  const resolveOpen = async (): Promise<Principal> => {
    const mode = await accessMode(town, { exposed: false });
    if (mode.required) {
      throw new CoreError(
        "UNAUTHORIZED",
        "this town has users, so the MCP server needs a token: set TT_TOKEN (create one with `tt token create <name> --role <role>`)",
        {
          reason: "signed_out",
        },
      );
    }
    return { kind: "open", name: opts.actor, role: "admin" };
  };
  await resolveOpen();
  return {
    principal: resolveOpen,
    describe: `open access: the town has no users, so anyone who can start this process on this machine acts as admin "${opts.actor}"; set TT_TOKEN to act as a token`,
  };
}
