/**
 * The BullMQ queues a town has opened, so that closing the town closes them. Kept apart from dispatch.ts (which
 * loads BullMQ) so that a process that never enqueues, such as `tt status`, never loads BullMQ either.
 */
import type { Queue } from "bullmq";
import type { Town } from "../town/town";

const queues = new WeakMap<Town, Map<string, Queue>>();

/** The town's cache of queues by agent id (created on first use). */
export function queuesOf(town: Town): Map<string, Queue> {
  let byAgent = queues.get(town);
  if (!byAgent) queues.set(town, (byAgent = new Map<string, Queue>()));
  return byAgent;
}

export async function closeQueues(town: Town): Promise<void> {
  const byAgent = queues.get(town);
  if (!byAgent) return;
  queues.delete(town);
  await Promise.all([...byAgent.values()].map((q) => q.close()));
}
