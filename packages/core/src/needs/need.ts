/**
 * The "Needs you" inbox (pure: the dashboard imports it from `@tinytown/core/schema`). An item is something only a
 * person can unblock: an agent's question (`tt ask`, the MCP `ask_human` tool), a failed task, a merge conflict found
 * by a review's merge check, or a run stopped by a budget. Questions are stored (`need:<id>`); the others are read
 * from the task indexes, and get a record of their own once someone claims, answers or dismisses them.
 */
import { z } from "zod";

import { Actor } from "../refs";
import { utf8Length } from "../utf8";

export const NEED_KINDS = ["question", "budget", "conflict", "failed"] as const;
export const NeedKind = z.enum(NEED_KINDS);
export type NeedKind = z.infer<typeof NeedKind>;
/** Most urgent first: an agent waiting on a question, then stopped spending, then work that cannot land. */
export const needRank = (k: NeedKind): number => NEED_KINDS.indexOf(k);

/**
 * How an agent waits for its answer: `end-run` (default) ends the run without spending anything more and the answer
 * starts a follow-up attempt of the same task with the answer in its prompt (resuming the CLI's session where the
 * model can); `block` keeps the process waiting, up to a timeout, for models that cannot resume.
 */
export const AskMode = z.enum(["end-run", "block"]);
export type AskMode = z.infer<typeof AskMode>;

const Text = (what: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, `the ${what} is empty`)
    .refine((s) => !s.includes("\u0000"), `the ${what} contains a NUL byte`)
    .refine((s) => utf8Length(s) <= max, `the ${what} is over ${max} bytes`);

export const Need = z.object({
  /** `q:<uuid>` for a question, `failed:<taskId>:<attempt>`, `budget:…`, `conflict:<taskId>:<baseHead>`. */
  id: z.string(),
  kind: NeedKind,
  title: z.string(),
  /** The question's choices (may be empty: a free answer). */
  options: z.array(z.string()),
  taskId: z.string().nullable(),
  agentId: z.string().nullable(),
  agentName: z.string().nullable(),
  createdAt: z.number(),
  /** Who raised it (the asking agent), or who ran the task. */
  createdBy: z.string(),
  mode: AskMode.nullable(),
  claimedBy: z.string().nullable(),
  claimedAt: z.number().nullable(),
  answer: z.string().nullable(),
  /** Who closed it (answered or dismissed), and when. */
  closedBy: z.string().nullable(),
  closedAt: z.number().nullable(),
  version: z.number(),
});
export type Need = z.infer<typeof Need>;

export const NeedId = z.string().trim().min(3).max(200);

export const AskHumanInput = z.object({
  question: Text("question", 8 * 1024),
  options: z.array(Text("option", 200)).max(10).default([]),
  mode: AskMode.default("end-run"),
  taskId: z.string().min(1),
  agentId: z.string().min(1),
  /** The version of the task the asking run holds: a stale run cannot park a newer one. */
  expectedVersion: z.number().int().nonnegative().optional(),
  by: Actor,
});
export type AskHumanInput = z.input<typeof AskHumanInput>;

export const ClaimNeedInput = z.object({ id: NeedId, by: Actor });
export type ClaimNeedInput = z.input<typeof ClaimNeedInput>;

export const AnswerNeedInput = z.object({ id: NeedId, answer: Text("answer", 16 * 1024), by: Actor });
export type AnswerNeedInput = z.input<typeof AnswerNeedInput>;

export const DismissNeedInput = z.object({ id: NeedId, by: Actor });
export type DismissNeedInput = z.input<typeof DismissNeedInput>;

export interface NeedsPage {
  items: Need[];
  /** Open items (the header's count). */
  count: number;
}
