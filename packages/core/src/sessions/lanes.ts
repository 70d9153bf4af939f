/**
 * Lanes: several provider accounts for one model (two Claude subscriptions, each in its own config dir). A run takes
 * the first lane that is not rate-limited; a lane that hits its limit waits for its reset while the model's work goes
 * to the others. Configured per Tinytown model name in tinytown.json:
 *
 *   "lanes": { "claude": [{ "name": "team", "env": { "CLAUDE_CONFIG_DIR": "/home/me/.claude-team" } },
 *                         { "name": "personal", "env": { "CLAUDE_CONFIG_DIR": "/home/me/.claude" } }] }
 */
import { z } from "zod";

export const Lane = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, "a lane name is 1-64 letters, digits, '.', '_' or '-'"),
    /** Set in the agent's environment for runs on this lane (on top of the model's `env`). */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(4_096)).default({}),
  })
  .strict();
export type Lane = z.infer<typeof Lane>;

export const LanesConfig = z
  .record(z.string().min(1).max(128), z.array(Lane).min(1).max(16))
  .refine((all) => Object.values(all).every((ls) => new Set(ls.map((l) => l.name)).size === ls.length), {
    message: "lane names are unique within a model",
  });
export type LanesConfig = z.infer<typeof LanesConfig>;

/**
 * The lane a run of a model takes: the first one free now (given each lane's reset, null when free), or, when all are
 * rate-limited, none and the earliest reset.
 */
export function pickLane(
  lanes: readonly Lane[],
  limitedUntil: readonly (number | null)[],
): { lane: Lane } | { lane: null; until: number } {
  const i = limitedUntil.findIndex((u) => u === null);
  if (i >= 0 && lanes[i]) return { lane: lanes[i] };
  return { lane: null, until: Math.min(...limitedUntil.map((u) => u ?? Infinity)) };
}
