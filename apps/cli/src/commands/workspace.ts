/** `tt workspace prune`: worktrees and task branches that no task needs any more (merged, discarded, gone). */
import type { Command } from "commander";
import {
  CoreError,
  findTask,
  isCoreError,
  pruneWorktrees,
  resolveWorkspace,
  workspaceNeeded,
  type Town,
} from "@tinytown/core";
import type { Ctx } from "../context";
import { safe } from "../output";

export function registerWorkspaceCommands(program: Command, ctx: Ctx) {
  const { paint } = ctx;
  const workspace = program.command("workspace").description("the town's git worktrees (one per task)");
  workspace
    .command("prune")
    .description("remove worktrees (and with --branches, task branches) that no task needs any more")
    .option("--branches", "also delete task branches checked out nowhere (only when one town uses the repository)")
    .action(async (o: { branches?: boolean }) => {
      const town = await ctx.town();
      const ws = await resolveWorkspace(town);
      if (!ws)
        throw new CoreError(
          "INVALID_STATE",
          "this town has no git workspace (it is not in a git repository, or workspace.enabled is false): nothing to prune",
        );
      const removed = await pruneWorktrees(ws, (e) => needed(town, e.taskRef), { branches: o.branches });
      ctx.emit({ removed }, () =>
        removed.length === 0
          ? "nothing to prune\n"
          : removed
              .map(
                (e) =>
                  `${paint("green", "✓")} removed ${e.path ? safe(e.path) : "branch"}${e.branch ? ` (${safe(e.branch)})` : ""}\n`,
              )
              .join(""),
      );
    });
}

/** Whether the task a worktree or branch names still needs it; an id prefix two tasks share is kept. */
async function needed(town: Town, ref: string | null): Promise<boolean> {
  if (!ref) return false;
  try {
    return workspaceNeeded(await findTask(town, ref));
  } catch (err) {
    if (isCoreError(err, "AMBIGUOUS")) return true;
    throw err;
  }
}
