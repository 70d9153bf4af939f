import { initTRPC, TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { z, ZodError } from "zod";

import {
  actorOf,
  assertCan,
  assertRedisReady,
  CoreError,
  PASSWORD_DEADLINE_MS,
  REDIS_DEADLINE_MS,
  toCoreError,
  withRedisDeadline,
  type Action,
  type CoreErrorCode,
  type Principal,
} from "@tinytown/core";

import { assertSameOrigin, refreshSessionCookie, requireRequestAccess } from "./auth";
import { transformer } from "./live/encode-once";
import type { Context } from "./context";
import { getTown } from "./town";

/** What the web reads from `error.data.core`: the core error's code and its machine-readable facts. */
export interface CoreErrorData {
  code: CoreErrorCode;
  details: Record<string, unknown>;
}

const t = initTRPC.context<Context>().create({
  // superjson; a live event shared by all subscribers is encoded once (live/encode-once.ts).
  transformer,
  sse: {
    // Heartbeats keep idle streams open through proxies and let the client notice a dead (or hung) server within
    // 3 s: after `reconnectAfterInactivityMs` without data or ping it reconnects (resuming from the last id) and the
    // dashboard says "reconnecting…". A lost Redis ends the event stream at once (routers/town.ts).
    ping: { enabled: true, intervalMs: 1_000 },
    client: { reconnectAfterInactivityMs: 3_000 },
  },
  errorFormatter: ({ shape, error }) => ({
    ...shape,
    data: {
      ...shape.data,
      /** Set for every error that came from core (and for bad input, as VALIDATION); null otherwise. */
      core: coreData(error.cause),
      /** Flattened zod issues of bad input, so forms can show them next to their fields. */
      zodError:
        error.cause instanceof CoreError && error.cause.cause instanceof ZodError
          ? z.flattenError(error.cause.cause)
          : null,
    },
  }),
});

const CODE_MAP: Record<CoreErrorCode, TRPC_ERROR_CODE_KEY> = {
  VALIDATION: "BAD_REQUEST",
  AMBIGUOUS: "BAD_REQUEST",
  NOT_FOUND: "NOT_FOUND",
  NOT_A_TOWN: "NOT_FOUND",
  INVALID_STATE: "CONFLICT",
  CONFLICT: "CONFLICT",
  ALREADY_EXISTS: "CONFLICT",
  REDIS_NOT_INSTALLED: "SERVICE_UNAVAILABLE",
  REDIS_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  TIMEOUT: "TIMEOUT",
  INTERNAL: "INTERNAL_SERVER_ERROR",
};

/**
 * The ONE place where errors raised below the API become tRPC errors: whatever was thrown becomes a CoreError (core
 * `toCoreError`: bad input as VALIDATION naming each field, a lost Redis as REDIS_UNAVAILABLE), mapped by its code.
 * The core error is the `cause`, which the error formatter turns into `data.core`; an internal error keeps the
 * original as its cause (it is no fact for clients to act on).
 *
 * `err` is what a procedure reported: usually a `TRPCError` whose `cause` is the value originally thrown (tRPC
 * wraps anything that is not a `TRPCError` as INTERNAL_SERVER_ERROR); subscriptions pass raw errors.
 */
export function toTRPCError(err: unknown): never {
  const cause = err instanceof TRPCError && err.cause ? err.cause : err;
  if (cause instanceof TRPCError) throw cause;
  const core = toCoreError(cause);
  if (core.code === "INTERNAL" && core !== cause) {
    // Not a fact core knows: tRPC's own refusal (a body it could not parse, a method not supported) stays as it is;
    // anything else is an internal error with the original as its cause.
    if (err instanceof TRPCError) throw err;
    throw new TRPCError({
      code: "INTERNAL_SERVER_ERROR",
      message: core.message,
      cause: cause instanceof Error ? cause : undefined,
    });
  }
  throw new TRPCError({ code: CODE_MAP[core.code] ?? "INTERNAL_SERVER_ERROR", message: core.message, cause: core });
}

function coreData(cause: unknown): CoreErrorData | null {
  return cause instanceof CoreError ? { code: cause.code, details: cause.details } : null;
}

/**
 * Routes every failed query/mutation through {@link toTRPCError}. Subscriptions only pass through here while
 * they start: errors thrown later, while the generator is iterated, bypass middleware (so subscriptions catch
 * and call `toTRPCError` themselves).
 */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) toTRPCError(result.error);
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Changes that arrive over HTTP must come from a page of this server (or carry a token): a form posted from
 * another site fails here, before any procedure runs. In-process callers (server components, tests) are exempt.
 */
const sameOriginChanges = t.middleware(({ ctx, type, next }) => {
  if (type === "mutation" && ctx.transport === "http") assertSameOrigin(ctx.headers, ctx.reach.host);
  return next();
});

/**
 * Procedure open to anyone who can reach the server (only `health.ping`, `auth.login` and `auth.me` use it
 * directly; everything else needs a role procedure below).
 */
export const publicProcedure = t.procedure.use(mapErrors).use(sameOriginChanges);

/**
 * Procedure that works on the town: `ctx.town` is the injected town (tests) or the process's lazily connected
 * one. Connecting happens here, not in createContext, so a missing town or an unreachable Redis is mapped like
 * any other error (NOT_FOUND / SERVICE_UNAVAILABLE) and procedures that need no town keep working.
 */
function onTown(deadlineMs: number) {
  return publicProcedure.use(async ({ ctx, type, next }) => {
    const town = ctx.town ?? (await getTown());
    assertRedisReady(town);
    const run = next({ ctx: { town } });
    return type === "subscription" ? run : withRedisDeadline(run, deadlineMs);
  });
}

export const townProcedure = onTown(REDIS_DEADLINE_MS);
/** {@link townProcedure} for the procedures that hash passwords: a deadline that allows for the hashing. */
export const passwordProcedure = onTown(PASSWORD_DEADLINE_MS);

/**
 * A procedure that needs `action`: resolves the caller (session, token, or open access), refuses with
 * UNAUTHORIZED / FORBIDDEN, and makes the principal the actor recorded on every change. A session renewed by this
 * request gets its cookie refreshed (where the response can still carry it).
 */
function allowed(action: Action, base = townProcedure) {
  return base.use(async ({ ctx, next }) => {
    const access = await requireRequestAccess(ctx.town, {
      headers: ctx.headers,
      reach: ctx.reach,
      displayName: ctx.actor,
    });
    const principal: Principal = access.principal;
    if (access.session?.renewed) refreshSessionCookie(ctx, access.session);
    assertCan(principal, action);
    return next({ ctx: { principal, actor: actorOf(principal) } });
  });
}

/** Reads: any signed-in role (viewer and up). */
export const viewerProcedure = allowed("read");
/** A signed-in user's own password change: any role, with the password deadline. */
export const viewerPasswordProcedure = allowed("read", passwordProcedure);
/** Creating, moving, cancelling, retrying tasks and sending messages: operator and up. */
export const operatorProcedure = allowed("task.write");
/** Managing agents, users and settings: admin only. */
export const adminProcedure = allowed("agent.manage");
/** Managing users and tokens: admin only (the action `tt user` / `tt token` need). */
export const userAdminProcedure = allowed("user.manage");
/** {@link userAdminProcedure} for adding a user (its password is hashed): the password deadline. */
export const userAdminPasswordProcedure = allowed("user.manage", passwordProcedure);
