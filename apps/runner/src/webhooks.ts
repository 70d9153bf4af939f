/**
 * The town's webhook from this runner: every event that opens a "Needs you" item becomes a delivery job (one per event
 * across runners: core needs/webhook.ts), and this runner's worker takes its share of the deliveries. The secret comes
 * from the runner's environment (the config names the variable) and goes nowhere but the signature.
 */
import { createRedis, enqueueWebhook, openWebhookWorker, type TownEvent } from "@tinytown/core";
import type { RunnerContext } from "./context";

export interface Webhooks {
  stop(): Promise<void>;
}

/** Starts delivering, when the town has a webhook; null otherwise. */
export function startWebhooks(ctx: RunnerContext): Webhooks | null {
  const hook = ctx.town.config.webhook;
  if (!hook) return null;
  const secret = process.env[hook.secretEnv] || undefined;
  if (!secret) ctx.log.warn(`webhook: $${hook.secretEnv} is not set; deliveries go unsigned`);
  const conn = createRedis(ctx.town.redisUrl, {
    blocking: true,
    connectionName: `tt:${ctx.town.name}:runner:${ctx.id}:webhooks`,
  });
  conn.on("error", (err) => ctx.log.debug(`redis (webhooks): ${String(err)}`));
  const worker = openWebhookWorker(ctx.town, conn, secret, (message) => ctx.log.warn(message));
  return {
    async stop() {
      await worker.close().catch(() => undefined);
      await conn.quit().catch(() => conn.disconnect());
    },
  };
}

/** Enqueues the event's delivery if it opens an item (a no-op without a webhook). */
export async function webhookFor(ctx: RunnerContext, ev: TownEvent): Promise<void> {
  if (!ctx.town.config.webhook) return;
  await enqueueWebhook(ctx.town, ev).catch((err) => ctx.log.warn(`webhook enqueue: ${String(err)}`));
}
