/** The `workspace` section of tinytown.json: tasks in git worktrees (see README "Work on code"). */
import { z } from "zod";
import { EnvName } from "../models/models";
import { MergeStrategy } from "../task/review";
import { BRANCH_NAME } from "./names";

/** Largest diff text recorded with a task when the config says nothing (1 MiB). */
export const DEFAULT_DIFF_MAX_BYTES = 1024 * 1024;
export const MAX_DIFF_BYTES = 8 * 1024 * 1024;

const RelativePath = z
  .string()
  .min(1)
  .max(4096)
  .refine(
    (p) => !p.startsWith("/") && !p.includes("\0") && !p.split("/").some((s) => s === ".." || s === ".git"),
    "a path relative to the repository, without '..' or '.git'",
  );

export const WorkspaceConfig = z
  .object({
    /** Tasks run in worktrees. Default: on when the town's directory (or `repo`) is in a git repository. */
    enabled: z.boolean().optional(),
    /** The repository, when the town's directory is not inside it (relative to the town's directory). */
    repo: z.string().min(1).max(4096).optional(),
    /** The branch task branches start from and merge into. Default: the branch checked out at `tt init`. */
    base: z.string().regex(BRANCH_NAME, "a branch name (no spaces, '..', leading '-', or trailing '.lock')").optional(),
    /** Commands (argv, never a shell) run in a task's worktree before each run, e.g. [["pnpm", "install"]]. */
    setup: z
      .array(z.array(z.string().min(1).max(4096)).min(1).max(256))
      .max(32)
      .default([]),
    /** A setup command running longer than this fails the run. */
    setupTimeoutSec: z
      .number()
      .int()
      .positive()
      .max(24 * 3600)
      .default(600),
    /** Files copied from the main checkout into a new worktree when absent there (e.g. ".env"); never committed. */
    copy: z.array(RelativePath).max(64).default([]),
    /** Runner environment variables setup commands get besides the agents' base list (`NPM_TOKEN`, `MY_*`). */
    passEnv: z.array(EnvName).max(64).default([]),
    /** A shared git remote (a remote's name or a URL) that carries task branches between runners on several machines. */
    remote: z
      .string()
      .regex(/^(?!-)(?!ext::)[^\s\x00-\x1f\x7f]{1,2048}$/i, "a remote's name or a URL")
      .optional(),
    /** How an approved task is merged into the base: a merge commit, or one squashed commit. */
    merge: MergeStrategy.default("merge"),
    /**
     * The unified diff recorded with a task is cut (at a file or hunk boundary) beyond this many bytes. At most
     * 8 MiB: the diff is written in one atomic step, about 10 ms per MiB during which Redis serves nothing else.
     */
    diffMaxBytes: z.number().int().min(4096).max(MAX_DIFF_BYTES).default(DEFAULT_DIFF_MAX_BYTES),
    /** Commits made for an agent are authored `<agent> <<agent>@<domain>>`; `.invalid` never resolves. */
    authorEmailDomain: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i, "a domain name")
      .default("tinytown.invalid"),
  })
  .strict();
export type WorkspaceConfig = z.infer<typeof WorkspaceConfig>;
export type WorkspaceConfigInput = z.input<typeof WorkspaceConfig>;
