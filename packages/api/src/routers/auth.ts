import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import { CoreError, endAllSessions, endSession, login } from "@tinytown/core";

import { clearSessionCookie, requestAccess, sessionCookie } from "../auth";
import { readCookie, SESSION_COOKIE } from "../context";
import { townProcedure, viewerProcedure } from "../trpc";

export const LoginInput = z.object({
  name: z.string().trim().min(1, "enter your user name").max(64),
  password: z.string().min(1, "enter your password").max(1024),
});
export type LoginInput = z.infer<typeof LoginInput>;

/**
 * Sign-in for the dashboard. The session id travels only in the HTTP-only cookie set on the response, never in
 * a body. Call these over a non-streaming link: a streamed response has sent its headers before the cookie exists.
 */
export const authRouter = {
  /** Who the caller is and whether sign-in is required (public: the sign-in page needs it). */
  me: townProcedure.query(async ({ ctx }) => {
    const { mode, principal } = await requestAccess(ctx.town, {
      headers: ctx.headers,
      reach: ctx.reach,
      displayName: ctx.actor,
    });
    return { required: mode.required, hasUsers: mode.hasUsers, exposed: mode.exposed, principal };
  }),

  /** Rate-limited per user name and address; sets the session cookie. */
  login: townProcedure.input(LoginInput).mutation(async ({ ctx, input }) => {
    const { sessionId, user } = await login(ctx.town, { name: input.name, password: input.password, ip: ctx.clientIp });
    ctx.resHeaders?.append("set-cookie", sessionCookie(sessionId, { secure: ctx.secure }));
    return { user };
  }),

  /** Ends this browser's session (if any) and clears the cookie. */
  logout: townProcedure.mutation(async ({ ctx }) => {
    const id = readCookie(ctx.headers, SESSION_COOKIE);
    if (id) await endSession(ctx.town, id);
    ctx.resHeaders?.append("set-cookie", clearSessionCookie({ secure: ctx.secure }));
    return { ok: true as const };
  }),

  /** Ends every session of the signed-in user, on every device. */
  logoutEverywhere: viewerProcedure.mutation(async ({ ctx }) => {
    if (ctx.principal.kind !== "user")
      throw new CoreError(
        "VALIDATION",
        "only a signed-in user has sessions to end (tokens are revoked with `tt token revoke`)",
      );
    const ended = await endAllSessions(ctx.town, ctx.principal.name);
    ctx.resHeaders?.append("set-cookie", clearSessionCookie({ secure: ctx.secure }));
    return { ended };
  }),
} satisfies TRPCRouterRecord;
