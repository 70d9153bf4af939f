/**
 * Webhook delivery of new "Needs you" items. Runners see every event; each enqueues a delivery job with the event's
 * stream id as job id, so however many runners serve the town one job exists per event (BullMQ drops duplicates), and
 * BullMQ's retries with exponential backoff carry a failing receiver through. Deliveries are logged (capped list) for
 * admins; the log holds status, attempt and error only — never the secret or the signature.
 */
import { createHmac } from "node:crypto";
import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { TownEvent } from "../channel/event-types";
import type { Town } from "../town/town";
import { queuesOf } from "../dispatch/queue-cache";
import type { NeedKind } from "./need";

export const WEBHOOK_QUEUE = "webhooks";
const LOG_MAX = 200;

export interface WebhookPayload {
  /** The event's stream id: unique per delivery, the same on every retry (receivers can de-duplicate on it). */
  id: string;
  town: string;
  kind: NeedKind;
  event: string;
  at: number;
  title: string;
  taskId: string | null;
  agentId: string | null;
  needId: string | null;
  by: string;
}

export interface WebhookDelivery {
  id: string;
  kind: NeedKind;
  title: string;
  attempt: number;
  ok: boolean;
  /** The receiver's HTTP status (null: no response). */
  status: number | null;
  error: string | null;
  ms: number;
  at: number;
}

const str = (v: unknown) => (typeof v === "string" ? v : null);

/** The payload for an event that opens a "Needs you" item, or null for every other event. */
export function webhookPayload(town: Town, ev: TownEvent): WebhookPayload | null {
  let kind: NeedKind | null = null;
  let title = "";
  if (ev.type === "task.waiting" || ev.type === "need.opened") {
    kind = "question";
    title = str(ev.title) ?? "a question";
  } else if (ev.type === "task.failed") {
    const error = str(ev.error) ?? "";
    kind = /budget/i.test(error) ? "budget" : "failed";
    title = `${str(ev.title) ?? "a task"}: ${error.split("\n")[0]!.slice(0, 200)}`;
  } else if (ev.type === "task.merge_checked" && Array.isArray(ev.conflicts) && ev.conflicts.length > 0) {
    kind = "conflict";
    title = `merge conflict in ${ev.conflicts.slice(0, 3).join(", ")}`;
  }
  if (!kind) return null;
  return {
    id: ev.id,
    town: town.name,
    kind,
    event: ev.type,
    at: ev.at,
    title,
    taskId: str(ev.taskId),
    agentId: str(ev.agentId),
    needId: str(ev.needId),
    by: ev.by,
  };
}

/** `sha256=<hex>` of HMAC-SHA256(secret, `<timestamp>.<body>`): what a receiver recomputes to trust a delivery. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

function webhookQueue(town: Town): Queue<WebhookPayload> {
  const cache = queuesOf(town);
  let q = cache.get("~webhooks") as Queue<WebhookPayload> | undefined;
  if (!q) {
    q = new Queue<WebhookPayload>(WEBHOOK_QUEUE, {
      connection: town.redis,
      prefix: town.keys.bullPrefix,
      skipVersionCheck: true,
    });
    cache.set("~webhooks", q as Queue);
  }
  return q;
}

/** Enqueues the delivery of an event that opens an item (once per event across runners); false when none is due. */
export async function enqueueWebhook(town: Town, ev: TownEvent): Promise<boolean> {
  const hook = town.config.webhook;
  if (!hook) return false;
  const payload = webhookPayload(town, ev);
  if (!payload) return false;
  await webhookQueue(town).add("deliver", payload, {
    jobId: `wh.${ev.id}`,
    attempts: hook.maxAttempts,
    backoff: { type: "exponential", delay: hook.backoffMs },
    removeOnComplete: true,
    removeOnFail: true,
  });
  return true;
}

async function recordDelivery(town: Town, d: WebhookDelivery): Promise<void> {
  await town.redis
    .multi()
    .lpush(town.keys.webhookLog, JSON.stringify(d))
    .ltrim(town.keys.webhookLog, 0, LOG_MAX - 1)
    .exec();
}

/** The latest deliveries, newest first. */
export async function readWebhookLog(town: Town, limit = 100): Promise<WebhookDelivery[]> {
  const rows = await town.redis.lrange(town.keys.webhookLog, 0, Math.min(limit, LOG_MAX) - 1);
  return rows.map((r) => JSON.parse(r) as WebhookDelivery);
}

/** One POST of `payload`, signed when a secret is set; throws (so BullMQ retries) on a failure, after logging it. */
export async function deliverWebhook(town: Town, payload: WebhookPayload, attempt: number, secret: string | undefined) {
  const hook = town.config.webhook;
  if (!hook) return;
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "tinytown-webhook",
    "x-tinytown-event": payload.event,
    "x-tinytown-delivery": payload.id,
    "x-tinytown-timestamp": timestamp,
  };
  if (secret) headers["x-tinytown-signature"] = signWebhook(secret, timestamp, body);
  const started = Date.now();
  let status: number | null = null;
  let error: string | null = null;
  try {
    const res = await fetch(hook.url, { method: "POST", headers, body, signal: AbortSignal.timeout(hook.timeoutMs) });
    status = res.status;
    await res.body?.cancel().catch(() => undefined);
    if (!res.ok) error = `the receiver answered HTTP ${res.status}`;
  } catch (err) {
    // Only the error's own words: a fetch error never carries the request's headers, so no signature leaks here.
    error = err instanceof Error ? `${err.name}: ${err.message}` : "the request failed";
  }
  await recordDelivery(town, {
    id: payload.id,
    kind: payload.kind,
    title: payload.title.slice(0, 200),
    attempt,
    ok: error === null,
    status,
    error,
    ms: Date.now() - started,
    at: Date.now(),
  });
  if (error) throw new Error(`webhook delivery ${payload.id} (attempt ${attempt}): ${error}`);
}

/** A worker that delivers the town's webhooks (one per runner; each job goes to one of them). */
export function openWebhookWorker(
  town: Town,
  connection: Redis,
  secret: string | undefined,
  onFailure: (message: string) => void,
): Worker<WebhookPayload> {
  const w = new Worker<WebhookPayload>(
    WEBHOOK_QUEUE,
    (job: Job<WebhookPayload>) => deliverWebhook(town, job.data, job.attemptsMade + 1, secret),
    { connection, prefix: town.keys.bullPrefix, concurrency: 4, skipVersionCheck: true },
  );
  w.on("failed", (_job, err) => onFailure(err.message));
  w.on("error", (err) => onFailure(String(err)));
  return w;
}
