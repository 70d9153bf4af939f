import type { Command } from "commander";
import { createToken, listTokens, revokeToken, type Role } from "@tinytown/core";
import type { Ctx } from "../context";
import { ago, cell, table } from "../output";

/** `tt token create|list|revoke`: API tokens for scripts (`Authorization: Bearer tt_…`), stored hashed. */
export function registerTokenCommands(program: Command, ctx: Ctx) {
  const { paint } = ctx;
  const token = program.command("token").description("API tokens for scripts and tools (shown once, stored hashed)");

  token
    .command("create <name>")
    .description("create a token; it is printed once and cannot be shown again")
    .requiredOption("-r, --role <role>", "viewer, operator or admin")
    .action(async (name: string, o: { role: string }) => {
      const { token: secret, info } = await createToken(await ctx.town(), {
        name,
        role: o.role as Role,
        by: ctx.actor,
      });
      ctx.emit({ ...info, token: secret }, () =>
        [
          `${paint("green", "✓")} token ${info.name} (${info.role}, id ${info.id}); copy it now, it is not shown again:`,
          secret,
          `use it as: Authorization: Bearer <token>; acts as token:${info.name}`,
          "",
        ].join("\n"),
      );
    });

  token
    .command("list")
    .description("tokens (never their secrets)")
    .action(async () => {
      const all = await listTokens(await ctx.town());
      ctx.emit(all, () =>
        all.length === 0
          ? "no tokens\n"
          : table(
              all.map((t) => [t.id, cell(t.name, 64), t.role, ago(t.createdAt), cell(t.createdBy, 32)]),
              ["ID", "NAME", "ROLE", "CREATED", "BY"],
              paint,
            ),
      );
    });

  token
    .command("revoke <idOrName>")
    .description("revoke a token; it stops working at once")
    .action(async (ref: string) => {
      const t = await revokeToken(await ctx.town(), { ref, by: ctx.actor });
      ctx.emit(t, () => `${paint("green", "✓")} revoked ${t.name} (${t.id})\n`);
    });
}
