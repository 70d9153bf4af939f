/** The runner's handle on its town's git workspace, resolved once (null: tasks run in the town's directory). */
import { resolveWorkspace, type Workspace } from "@tinytown/core";
import type { RunnerContext } from "../context";

const resolved = new WeakMap<RunnerContext, Promise<Workspace | null>>();

/**
 * The town's workspace as this runner sees it. A failed resolution (e.g. `workspace.enabled` outside a repository)
 * is not cached: each run reports it, and fixing the repository needs no runner restart.
 */
export function workspaceOf(ctx: RunnerContext): Promise<Workspace | null> {
  let p = resolved.get(ctx);
  if (!p) {
    p = resolveWorkspace(ctx.town);
    resolved.set(ctx, p);
    p.catch(() => resolved.delete(ctx));
  }
  return p;
}
