/**
 * "Ask the agent to rebase": the one-click change request the dashboard offers when the last dry-run merge found
 * conflicts. The comment names the base and the conflicting files; `formatChangeRequest` adds the conflict to the
 * agent's prompt too, so the agent has both the reviewer's words and git's facts.
 */
import { z } from "zod";

import { CoreError } from "../errors";
import { Actor, TaskRef, Version } from "../refs";
import type { Town } from "../town/town";
import type { Task } from "./task";
import { getTask, parse, shortId } from "./task.service";
import { requestChanges } from "./task-review.service";

export const RequestRebaseInput = z.object({ taskId: TaskRef, expectedVersion: Version.optional(), by: Actor });
export type RequestRebaseInput = z.input<typeof RequestRebaseInput>;

/** The prepared comment of a rebase request. */
export function rebaseComment(base: string, files: readonly string[]): string {
  const shown = files.slice(0, 20).join(", ") + (files.length > 20 ? ` and ${files.length - 20} more` : "");
  return `Please bring the latest ${base} into your branch (rebase or merge) and resolve the conflicts in: ${shown}. Keep the behaviour of both sides.`;
}

/** Sends a task whose last merge check found conflicts back to its agent with a prepared rebase request. */
export async function requestRebase(town: Town, raw: RequestRebaseInput): Promise<Task> {
  const input = parse(RequestRebaseInput, raw, "rebase request");
  const t = await getTask(town, input.taskId);
  const conflict = t.review?.conflict;
  if (!conflict || conflict.files.length === 0) {
    throw new CoreError("INVALID_STATE", `task ${shortId(t.id)} has no conflict to rebase for: merge it instead`, {
      state: t.state,
      version: t.version,
      review: t.review?.status ?? null,
    });
  }
  return requestChanges(town, {
    taskId: t.id,
    expectedVersion: input.expectedVersion,
    by: input.by,
    comments: [{ text: rebaseComment(t.workspace?.base ?? "the base branch", conflict.files) }],
  });
}
