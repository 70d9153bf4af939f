import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import { changePassword, CoreError, endAllSessions, endSession, login, Password } from "@tinytown/core";

import { clearSessionCookie, refreshSessionCookie, requestAccess, sessionCookie } from "../auth";
import { readCookie, SESSION_COOKIE } from "../context";
import { passwordProcedure, townProcedure, viewerPasswordProcedure, viewerProcedure } from "../trpc";

export const LoginInput = z.object({
  name: z.string().trim().min(1, "enter your user name").max(64),
  password: z.string().min(1, "enter your password").max(1024),
});
export type LoginInput = z.infer<typeof LoginInput>;

export const ChangePasswordInput = z.object({
  currentPassword: z.string().min(1, "enter your current password").max(1024),
  newPassword: Password,
});
export type ChangePasswordInput = z.infer<typeof ChangePasswordInput>;

/**
 * Sign-in for the dashboard. The session id travels only in the HTTP-only cookie set on the response, never in
 * a body. Call these over a non-streaming link: a streamed response has sent its headers before the cookie exists.
 */
export const authRouter = {
  /**
   * Who the caller is and whether sign-in is required (public: the sign-in page needs it). With a session, also
   * sends its cookie again with the session's current expiry: the dashboard calls this now and then over a plain
   * (non-streamed) response, so the cookie lives as long as the session that slides in Redis.
   */
  me: townProcedure.query(async ({ ctx }) => {
    const { mode, principal, session } = await requestAccess(ctx.town, {
      headers: ctx.headers,
      reach: ctx.reach,
      displayName: ctx.actor,
    });
    if (session) refreshSessionCookie(ctx, session);
    return { required: mode.required, hasUsers: mode.hasUsers, exposed: mode.exposed, principal };
  }),

  /** Throttled per user name and client (core throttle.ts); sets the session cookie. */
  login: passwordProcedure.input(LoginInput).mutation(async ({ ctx, input }) => {
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

  /**
   * The signed-in user changes their own password: the current one must be right (a wrong one counts as a failed
   * sign-in); this browser stays signed in, every other session of the user ends.
   */
  changePassword: viewerPasswordProcedure.input(ChangePasswordInput).mutation(async ({ ctx, input }) => {
    if (ctx.principal.kind !== "user")
      throw new CoreError(
        "VALIDATION",
        "only a signed-in user has a password to change (tokens are replaced with `tt token create` / `tt token revoke`)",
      );
    const { endedSessions } = await changePassword(ctx.town, {
      name: ctx.principal.name,
      currentPassword: input.currentPassword,
      newPassword: input.newPassword,
      ip: ctx.clientIp,
      keepSession: readCookie(ctx.headers, SESSION_COOKIE) ?? undefined,
    });
    return { endedSessions };
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
