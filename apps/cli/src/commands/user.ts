import type { Command } from "commander";
import { addUser, listUsers, removeUser, setPassword, setUserRole, unlockUser, type Role } from "@tinytown/core";
import type { Ctx } from "../context";
import { ago, cell, table } from "../output";
import { readPassword } from "../password";

/** `tt user add|list|remove|role|passwd|unlock`: who may sign in to the dashboard, and with which role. */
export function registerUserCommands(program: Command, ctx: Ctx) {
  const { paint } = ctx;
  const user = program.command("user").description("dashboard users: once one exists, everything requires sign-in");

  user
    .command("add <name>")
    .description("add a user (asks for the password on a terminal; otherwise reads it from stdin)")
    .requiredOption(
      "-r, --role <role>",
      "viewer (reads), operator (creates, moves, messages) or admin (also agents, users, settings)",
    )
    .option("--password-stdin", "read the password from stdin (first line)")
    .action(async (name: string, o: { role: string; passwordStdin?: boolean }) => {
      const town = await ctx.town();
      const password = await readPassword(ctx, {
        stdin: o.passwordStdin,
        confirm: true,
        example: `tt user add ${name} --role ${o.role} --password-stdin`,
      });
      const u = await addUser(town, { name, role: o.role as Role, password, by: ctx.actor });
      ctx.emit(u, () => `${paint("green", "✓")} added ${u.name} (${u.role}); sign in at the dashboard's /login\n`);
    });

  user
    .command("list")
    .description("users and their roles")
    .action(async () => {
      const users = await listUsers(await ctx.town());
      ctx.emit(users, () =>
        users.length === 0
          ? "no users: the dashboard is open on loopback (add one with tt user add <name> --role admin)\n"
          : table(
              users.map((u) => [cell(u.name, 64), u.role, ago(u.createdAt), cell(u.createdBy, 32)]),
              ["NAME", "ROLE", "ADDED", "BY"],
              paint,
            ),
      );
    });

  user
    .command("remove <name>")
    .alias("rm")
    .description("remove a user and end all their sessions")
    .action(async (name: string) => {
      const u = await removeUser(await ctx.town(), { name, by: ctx.actor });
      ctx.emit(u, () => `${paint("green", "✓")} removed ${u.name}; their sessions are ended\n`);
    });

  user
    .command("role <name> <role>")
    .description("change a user's role (takes effect on their next request)")
    .action(async (name: string, role: string) => {
      const u = await setUserRole(await ctx.town(), { name, role, by: ctx.actor });
      ctx.emit(u, () => `${paint("green", "✓")} ${u.name} is now ${u.role}\n`);
    });

  user
    .command("passwd <name>")
    .description("set a user's password (asks on a terminal; otherwise reads stdin); ends all their sessions")
    .option("--password-stdin", "read the password from stdin (first line)")
    .action(async (name: string, o: { passwordStdin?: boolean }) => {
      const password = await readPassword(ctx, {
        stdin: o.passwordStdin,
        confirm: true,
        prompt: `New password for ${name}: `,
        example: `tt user passwd ${name} --password-stdin`,
      });
      const r = await setPassword(await ctx.town(), { name, password, by: ctx.actor });
      ctx.emit(
        r,
        () =>
          `${paint("green", "✓")} changed the password of ${r.user.name}; ${r.endedSessions} session${r.endedSessions === 1 ? "" : "s"} ended\n`,
      );
    });

  user
    .command("unlock <name>")
    .description("forget a user's failed sign-ins, so that no backoff holds them (from any address)")
    .action(async (name: string) => {
      const u = await unlockUser(await ctx.town(), { name, by: ctx.actor });
      ctx.emit(u, () => `${paint("green", "✓")} ${u.name} may sign in again at once\n`);
    });
}
