import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";

import {
  addUser,
  createToken,
  listTokens,
  listUsers,
  Password,
  removeUser,
  revokeToken,
  Role,
  setUserRole,
  UserName,
} from "@tinytown/core";

import { userAdminPasswordProcedure, userAdminProcedure } from "../trpc";

export const AddUserInput = z.object({ name: UserName, role: Role, password: Password });
export type AddUserInput = z.infer<typeof AddUserInput>;
export const UserRoleInput = z.object({ name: UserName, role: Role });
export type UserRoleInput = z.infer<typeof UserRoleInput>;
export const UserRefInput = z.object({ name: UserName });
export type UserRefInput = z.infer<typeof UserRefInput>;
export const CreateTokenInput = z.object({ name: UserName, role: Role });
export type CreateTokenInput = z.infer<typeof CreateTokenInput>;
export const RevokeTokenInput = z.object({ ref: z.string().trim().min(1, "name the token").max(128) });
export type RevokeTokenInput = z.infer<typeof RevokeTokenInput>;

/**
 * Users and API tokens from the dashboard: the same core functions and rules as `tt user` / `tt token` (unique
 * names, the last admin stays, a token's secret is shown once), admin only, every change recorded with who made it.
 */
export const userRouter = {
  /** Every user (no password hashes) and every token (no secrets). */
  list: userAdminProcedure.query(async ({ ctx }) => {
    const [users, tokens] = await Promise.all([listUsers(ctx.town), listTokens(ctx.town)]);
    return { users, tokens };
  }),

  add: userAdminPasswordProcedure
    .input(AddUserInput)
    .mutation(({ ctx, input }) => addUser(ctx.town, { ...input, by: ctx.actor })),

  /** Takes effect on the user's next request; their open live streams are re-checked at once. */
  setRole: userAdminProcedure
    .input(UserRoleInput)
    .mutation(({ ctx, input }) => setUserRole(ctx.town, { ...input, by: ctx.actor })),

  /** Removes the user and ends all of their sessions (refused for the last admin). */
  remove: userAdminProcedure
    .input(UserRefInput)
    .mutation(({ ctx, input }) => removeUser(ctx.town, { name: input.name, by: ctx.actor })),

  /** The returned `token` is the only copy of the secret: show it once. */
  createToken: userAdminProcedure
    .input(CreateTokenInput)
    .mutation(({ ctx, input }) => createToken(ctx.town, { ...input, by: ctx.actor })),

  /** By id or name; it stops working at once, and its open live streams end. */
  revokeToken: userAdminProcedure
    .input(RevokeTokenInput)
    .mutation(({ ctx, input }) => revokeToken(ctx.town, { ref: input.ref, by: ctx.actor })),
} satisfies TRPCRouterRecord;
