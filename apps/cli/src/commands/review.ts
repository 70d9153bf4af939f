/**
 * `tt task diff|review|merge|discard`: a task's changes made in its git worktree, and the review that takes them in.
 * The git work is a runner's: `merge` approves and waits for the runner's outcome (merged, or refused with the
 * conflicting files); `discard` has a runner remove the worktree and the branch.
 */
import type { Command } from "commander";
import {
  approveTask,
  CoreError,
  discardTask,
  followEvents,
  getTask,
  getTaskChanges,
  lastEventId,
  listRunners,
  requestChanges,
  type MergeStrategy,
  type Task,
  type TaskChanges,
  type Town,
} from "@tinytown/core";
import type { Ctx } from "../context";
import { int, seconds, text } from "../options";
import { safe } from "../output";

/** How long `tt task merge` waits for a runner by default. */
const MERGE_WAIT_SEC = 300;

export function registerReviewCommands(task: Command, ctx: Ctx) {
  const { paint } = ctx;
  const stats = (c: TaskChanges) => {
    const s = c.workspace!.stats;
    return `${paint("green", `+${s.additions}`)} ${paint("red", `−${s.deletions}`)} · ${s.files} file${s.files === 1 ? "" : "s"}`;
  };

  task
    .command("diff <id>")
    .description("what a task changed in its worktree, against the merge base (stats, files, unified diff)")
    .option("--stat", "only the stats and the file list")
    .action(async (id: string, o: { stat?: boolean }) => {
      const town = await ctx.town();
      const c = await getTaskChanges(town, id);
      const t = await getTask(town, id);
      ctx.emit(o.stat ? { ...c, diff: undefined } : c, () => {
        if (!c.workspace)
          return `task ${t.id.slice(0, 8)} has no recorded changes (it did not run in a git worktree)\n`;
        const w = c.workspace;
        const out = [
          `${paint("bold", w.branch)} → ${w.base}   ${stats(c)}${c.review ? `   review: ${reviewLine(c.review)}` : ""}`,
          ...c.files.map((f) => {
            const n = f.binary ? "binary" : `${paint("green", `+${f.additions}`)} ${paint("red", `−${f.deletions}`)}`;
            const path = f.oldPath ? `${safe(f.oldPath)} → ${safe(f.path)}` : safe(f.path);
            return `  ${f.status.padEnd(9)} ${path}  ${n}`;
          }),
          ...(w.filesTruncated ? [paint("dim", "  (more files: the list stops at 3000)")] : []),
        ];
        if (!o.stat) {
          out.push("", ...c.diff.split("\n").map((l) => colourLine(ctx, safe(l))));
          if (w.diffTruncated)
            out.push(paint("yellow", "(diff cut at workspace.diffMaxBytes: see the branch for all of it)"));
        }
        return out.join("\n") + "\n";
      });
    });

  task
    .command("review <id>")
    .description(
      "review a task's changes: request changes (back to its agent, same worktree) or approve (a runner merges)",
    )
    .option("--request-changes <text>", "what to change; the agent gets it as its next prompt", text)
    .option("--file <path>", "the file the comment is about", text)
    .option("--line <n>", "the line (of the file's new version) the comment is about", int({ min: 1, max: 10_000_000 }))
    .option("--approve", "approve the changes: a runner merges them into the base branch")
    .option("--squash", "with --approve: one squashed commit instead of the town's default (workspace.merge)")
    .action(
      async (
        id: string,
        o: { requestChanges?: string; file?: string; line?: number; approve?: boolean; squash?: boolean },
      ) => {
        if (Boolean(o.approve) === (o.requestChanges !== undefined))
          throw new CoreError("VALIDATION", "give one of --request-changes <text> or --approve");
        if (o.approve && (o.file || o.line))
          throw new CoreError("VALIDATION", "--file and --line go with --request-changes");
        if (o.squash && !o.approve) throw new CoreError("VALIDATION", "--squash goes with --approve");
        const town = await ctx.town();
        const t = o.approve
          ? await approveTask(town, { taskId: id, by: ctx.actor, strategy: o.squash ? "squash" : undefined })
          : await requestChanges(town, {
              taskId: id,
              by: ctx.actor,
              comments: [{ text: o.requestChanges!, file: o.file, line: o.line }],
            });
        ctx.emit(t, () =>
          o.approve
            ? `${paint("green", "✓")} approved task ${paint("bold", t.id.slice(0, 8))}: a runner merges it (tt task merge ${t.id.slice(0, 8)} waits for it)\n`
            : `${paint("green", "✓")} changes requested on task ${paint("bold", t.id.slice(0, 8))}: back to its agent (round ${t.review?.round ?? 1})\n`,
        );
      },
    );

  task
    .command("merge <id>")
    .description("merge a task's changes into the base branch (a runner does it after a conflict check); waits for it")
    .option("--squash", "one squashed commit (default: the town's workspace.merge)")
    .option("--merge-commit", "a merge commit (default: the town's workspace.merge)")
    .option(
      "-t, --timeout <seconds>",
      `give up waiting after this many seconds (default ${MERGE_WAIT_SEC}; exit 6)`,
      seconds({ max: 24 * 3600 }),
    )
    .action(async (id: string, o: { squash?: boolean; mergeCommit?: boolean; timeout?: number }) => {
      if (o.squash && o.mergeCommit) throw new CoreError("VALIDATION", "give --squash or --merge-commit, not both");
      const strategy: MergeStrategy | undefined = o.squash ? "squash" : o.mergeCommit ? "merge" : undefined;
      const town = await ctx.town();
      const before = await getTask(town, id);
      // The cursor before the approval: the runner's outcome cannot slip between the two.
      const after = await lastEventId(town);
      const approved =
        before.review?.status === "approved"
          ? before
          : await approveTask(town, { taskId: before.id, by: ctx.actor, strategy });
      if (!(await listRunners(town)).some((r) => r.alive) && !ctx.opts().json)
        ctx.io.err(paint("yellow", "no runner is running: the merge waits for one (start it with `tt up`)\n"));
      const t = await mergeOutcome(ctx, town, approved, after, (o.timeout ?? MERGE_WAIT_SEC) * 1000);
      if (!t) return; // stopped by Ctrl-C
      if (t.review?.status !== "merged") {
        const files = t.review?.conflict?.files ?? [];
        if (files.length > 0)
          throw new CoreError(
            "CONFLICT",
            `not merged: ${files.length} file(s) conflict with ${t.workspace?.base ?? "the base"}: ${files.map(safe).join(", ")}. Ask the agent to bring in the base: tt task review ${t.id.slice(0, 8)} --request-changes "Merge ${t.workspace?.base ?? "the base"} and resolve the conflicts"`,
            { conflicts: files, task: t },
          );
        throw new CoreError("CONFLICT", `not merged: ${t.review?.mergeError ?? "the runner refused the merge"}`, {
          task: t,
        });
      }
      ctx.emit(
        t,
        () =>
          `${paint("green", "✓")} merged task ${paint("bold", t.id.slice(0, 8))} into ${t.workspace?.base ?? "the base"} (${t.review!.strategy}, ${t.review!.mergedCommit!.slice(0, 10)})\n`,
      );
    });

  task
    .command("discard <id>")
    .description("drop a task's changes: a runner removes its worktree and branch")
    .action(async (id: string) => {
      const t = await discardTask(await ctx.town(), { taskId: id, by: ctx.actor });
      ctx.emit(t, () => `${paint("green", "✓")} discarded the changes of task ${paint("bold", t.id.slice(0, 8))}\n`);
    });
}

/**
 * Follows the town's events (no polling) until the runner's merge outcome: merged, or back to waiting (a conflict or
 * a refusal). Null when stopped by a signal; TIMEOUT past `timeoutMs`.
 */
async function mergeOutcome(ctx: Ctx, town: Town, approved: Task, after: string, timeoutMs: number) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const offStop = ctx.onStop(() => abort.abort());
  const settled = (t: Task) => t.review?.status !== "approved";
  try {
    let t = await getTask(town, approved.id);
    if (settled(t)) return t;
    for await (const ev of followEvents(town, { signal: abort.signal, blockMs: 1000, after })) {
      if (ev.taskId !== approved.id) continue;
      t = await getTask(town, approved.id);
      if (settled(t)) return t;
    }
    if (ctx.exitCode !== undefined) return null;
    throw new CoreError(
      "TIMEOUT",
      `task ${approved.id.slice(0, 8)} is approved but no runner merged it within ${timeoutMs / 1000} s: is a runner up (tt up)? The merge still happens when one takes it`,
    );
  } finally {
    clearTimeout(timer);
    offStop();
    abort.abort();
  }
}

function reviewLine(r: NonNullable<TaskChanges["review"]>): string {
  const extra = r.conflict
    ? ` (conflicts: ${r.conflict.files.map(safe).join(", ")})`
    : r.mergeError
      ? ` (${safe(r.mergeError)})`
      : "";
  return `${r.status}${extra}`;
}

function colourLine(ctx: Ctx, l: string): string {
  if (l.startsWith("+++") || l.startsWith("---") || l.startsWith("diff --git")) return ctx.paint("bold", l);
  if (l.startsWith("+")) return ctx.paint("green", l);
  if (l.startsWith("-")) return ctx.paint("red", l);
  if (l.startsWith("@@")) return ctx.paint("cyan", l);
  return l;
}
