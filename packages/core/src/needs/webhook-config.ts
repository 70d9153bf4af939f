import { z } from "zod";

/**
 * A town's webhook: every new "Needs you" item (a question, a failure, a budget stop, a merge conflict) is POSTed as
 * JSON to `url`, signed with HMAC-SHA256 over `<timestamp>.<body>` (header `X-Tinytown-Signature: sha256=<hex>`, the
 * timestamp in `X-Tinytown-Timestamp`) with the secret in the runner's environment variable `secretEnv` — never in
 * the config file, never logged. A failed delivery is retried with exponential backoff up to `maxAttempts`.
 */
export const WebhookConfig = z
  .object({
    url: z
      .string()
      .url("the webhook url is not a URL")
      .refine((u) => /^https?:\/\//.test(u), "the webhook url must be http(s)"),
    secretEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name")
      .default("TT_WEBHOOK_SECRET"),
    maxAttempts: z.number().int().min(1).max(20).default(6),
    /** The first retry's delay; each next one doubles it. */
    backoffMs: z.number().int().min(10).max(600_000).default(1_000),
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
  })
  .strict();
export type WebhookConfig = z.infer<typeof WebhookConfig>;
