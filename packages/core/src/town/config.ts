import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { CoreError, validationError } from "../errors";
import { allowedHostError, proxyEntryError } from "../auth/reach";
import { ModelSpec } from "../models/models";
import { WebhookConfig } from "../needs/webhook-config";
import { BudgetsConfig } from "../sessions/budget-rules";
import { LanesConfig } from "../sessions/lanes";
import { PriceTable } from "../sessions/pricing";
import { WorkspaceConfig } from "../workspace/workspace-config";

export const CONFIG_FILE = "tinytown.json";
export const STATE_DIR = ".tt";

export const TownName = z
  .string()
  .trim()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,63}$/,
    "a town name is 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit",
  );

/** Who may reach the dashboard and the MCP HTTP server (see auth/reach.ts); read when the server starts. */
export const WebConfig = z
  .object({
    /** Names the server may be addressed by besides localhost, 127.0.0.1 and [::1] (e.g. behind a proxy). */
    allowedHosts: z
      .array(z.string().trim().toLowerCase().superRefine(entryCheck(allowedHostError)))
      .max(100)
      .default([]),
    /** Proxies (IPs or CIDR ranges) whose X-Forwarded-* / Forwarded headers are believed. */
    trustedProxies: z
      .array(z.string().trim().superRefine(entryCheck(proxyEntryError)))
      .max(100)
      .default([]),
    /** Live (SSE) streams one client (principal and address) may hold open at once. */
    maxStreamsPerClient: z.number().int().min(1).max(100_000).default(16),
  })
  .strict();
export type WebConfig = z.infer<typeof WebConfig>;
const WEB_DEFAULTS = { allowedHosts: [], trustedProxies: [], maxStreamsPerClient: 16 };

function entryCheck(error: (entry: string) => string | null) {
  return (value: string, ctx: z.RefinementCtx) => {
    const message = error(value);
    if (message) ctx.addIssue({ code: "custom", message, input: value });
  };
}

export const TownConfig = z
  .object({
    $schema: z.string().optional(),
    name: TownName,
    redis: z
      .object({
        /** An external Redis; when set (or REDIS_URL is), the town never starts its own. */
        url: z.string().optional(),
        /**
         * Redis Cluster: keys get a hash tag (`tt:{town}:…`) so that the whole town lives in one slot, and when
         * `url` points at a cluster-enabled node the town connects with a Cluster client. A
         * `redis+cluster://host:port[,host:port…]` URL (config or REDIS_URL) implies this. On a single server it
         * only changes the key names (a keyspace ready to move to a cluster).
         */
        cluster: z.boolean().default(false),
        /**
         * The managed Redis's AOF sync: `always` (default) puts every write on disk before acknowledging it, so a
         * crash of the process or of the machine loses nothing acknowledged; `everysec` is faster but may lose up to
         * about two seconds of acknowledged writes on a crash. Applied at the next start of the managed Redis
         * (`tt up` applies it to a running one). Ignored for an external Redis (configure that one yourself).
         */
        appendfsync: z.enum(["always", "everysec"]).default("always"),
      })
      .strict()
      .default({ cluster: false, appendfsync: "always" }),
    models: z.record(z.string(), ModelSpec).default({}),
    runner: z
      .object({
        /** A run longer than this is killed (whole process tree) and the task fails "timed out after N s". */
        taskTimeoutSec: z
          .number()
          .int()
          .positive()
          .max(7 * 24 * 3600)
          .default(3600),
        /** Runs per task before a lost runner or crash fails it for good. */
        maxAttempts: z.number().int().min(1).max(20).default(3),
        /** SIGTERM → SIGKILL grace when stopping an agent process. */
        killGraceSec: z.number().positive().max(300).default(5),
        /** How long a stopping runner lets running tasks finish before requeueing them. */
        shutdownGraceSec: z.number().nonnegative().max(3600).default(10),
      })
      .strict()
      .default({ taskTimeoutSec: 3600, maxAttempts: 3, killGraceSec: 5, shutdownGraceSec: 10 }),
    events: z
      .object({ maxLen: z.number().int().min(100).max(10_000_000).default(10_000) })
      .strict()
      .default({ maxLen: 10_000 }),
    web: WebConfig.default(WEB_DEFAULTS),
    supervisor: z
      .object({
        /**
         * The supervisor mailbox keeps the newest N `task_done` reports; older ones leave it (counted, and every
         * task keeps its result). Questions, failures and other messages are never dropped.
         */
        keepTaskDone: z.number().int().min(0).max(1_000_000).default(1000),
      })
      .strict()
      .default({ keepTaskDone: 1000 }),
    /**
     * USD per million tokens by model id (or prefix, or Tinytown model name), on top of `DEFAULT_PRICING`
     * (sessions/pricing.ts, with the date the defaults were taken): prices tokens a CLI reports without a cost.
     */
    pricing: PriceTable.default({}),
    /** Spending limits (none by default) and the time zone of their days: see sessions/budget-rules.ts. */
    budgets: BudgetsConfig.default({ timeZone: "UTC" }),
    /** Provider accounts per model name, tried in order past rate limits: see sessions/lanes.ts. */
    lanes: LanesConfig.default({}),
    /** The town's webhook for "Needs you" items (needs/webhook.ts): signed JSON POSTs, retried, logged. */
    webhook: WebhookConfig.optional(),
    /** Tasks in git worktrees, review and merge (packages/core/src/workspace/README.md). */
    workspace: WorkspaceConfig.prefault({}),
  })
  .strict();
export type TownConfig = z.infer<typeof TownConfig>;
/** What a config file may say (defaults filled in by parsing). */
export type TownConfigInput = z.input<typeof TownConfig>;

/** Parses a config object; errors name the file and each bad field. */
export function parseConfig(raw: unknown, file = CONFIG_FILE): TownConfig {
  const r = TownConfig.safeParse(raw);
  if (!r.success) throw validationError(file, r.error.issues);
  return r.data;
}

export function readConfig(dir: string): TownConfig {
  const file = join(dir, CONFIG_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new CoreError("VALIDATION", `cannot read ${file}: ${(err as Error).message}`);
  }
  return parseConfig(raw, file);
}

/** Walks up from `start` to the directory holding tinytown.json. */
export function findTownDir(start: string): string | null {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, CONFIG_FILE))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}
