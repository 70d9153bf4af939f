/**
 * The BullMQ queues a town has opened, closed with the town. Kept apart from dispatch.ts (which loads BullMQ) so that
 * a process that never enqueues, such as `tt status`, never loads BullMQ either.
 */
import type { Queue } from "bullmq";
import type { Town } from "../town/town";

const queues = new WeakMap<Town, Map<string, Queue>>();

/** The town's cache of queues by agent id (created on first use, and registered to close with the town). */
export function queuesOf(town: Town): Map<string, Queue> {
  let byAgent = queues.get(town);
  if (!byAgent) {
    const created = new Map<string, Queue>();
    queues.set(town, (byAgent = created));
    town.onClose(async () => {
      queues.delete(town);
      await Promise.all([...created.values()].map((q) => q.close()));
    });
  }
  return byAgent;
}
