/**
 * The runner's view of the town's event stream: agents to serve or stop serving, runs whose task someone else changed
 * (stopped at once), and messages for the agents it serves (control messages, urgent interrupts). One blocking
 * connection, read in finite slices; a broken stream is resumed from the last event seen.
 */
import type { Redis } from "ioredis";
import { createRedis, findAgent, followEvents, type TownEvent } from "@tinytown/core";
import type { RunnerContext } from "./context";
import type { AgentHost } from "./hosting";
import { onMessageSent } from "./messages";
import { webhookFor } from "./webhooks";

export interface EventFollower {
  /** Cuts the blocking read short and resolves once the loop has ended. */
  stop(): Promise<void>;
}

/** Follows the town's events from `after` (exclusive) until stopped. */
export function followTown(ctx: RunnerContext, host: AgentHost, after: string): EventFollower {
  const abort = new AbortController();
  const conn = createRedis(ctx.town.redisUrl, {
    blocking: true,
    connectionName: `tt:${ctx.town.name}:runner:${ctx.id}:events`,
  });
  conn.on("error", (err) => ctx.log.debug(`redis (events): ${String(err)}`));
  const loop = follow(ctx, host, conn, after, abort.signal);
  return {
    async stop() {
      abort.abort();
      conn.disconnect();
      await loop.catch(() => undefined);
    },
  };
}

async function follow(
  ctx: RunnerContext,
  host: AgentHost,
  connection: Redis,
  after: string,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    try {
      for await (const ev of followEvents(ctx.town, { after, signal, connection, blockMs: 2_000 })) {
        after = ev.id;
        try {
          await onEvent(ctx, host, ev);
        } catch (err) {
          ctx.log.warn(`event ${ev.type}: ${String(err)}`);
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      ctx.log.warn(`event stream: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const RUN_STATES: ReadonlySet<unknown> = new Set(["idle", "working"]);
const isRunMove = (ev: TownEvent) => RUN_STATES.has(ev.from) && RUN_STATES.has(ev.to);

async function onEvent(ctx: RunnerContext, host: AgentHost, ev: TownEvent): Promise<void> {
  await webhookFor(ctx, ev);
  const agentId = typeof ev.agentId === "string" ? ev.agentId : null;
  const taskId = typeof ev.taskId === "string" ? ev.taskId : null;
  switch (ev.type) {
    case "agent.spawned":
    case "agent.state":
      // A run starting or ending (idle ⇄ working) changes nothing about serving the agent or its queue's pause: two
      // such events per task, each of which would cost a read of the agent and of its queue (bench B5).
      if (agentId && isRunMove(ev) && host.serves(agentId)) return;
      if (agentId) await host.follow(agentId, await findAgent(ctx.town, agentId));
      return;
    case "agent.removed":
      if (agentId) await host.unserve(agentId);
      return;
    case "task.cancelled":
    case "task.requeued":
    case "task.unassigned":
    case "task.assigned": {
      // Someone else changed a task this runner is running: stop the process.
      const run = taskId ? ctx.runs.get(taskId) : undefined;
      if (run && ev.by !== ctx.by && run.version !== 0 && ev.version !== run.version)
        run.abort({ kind: "task-changed", state: String(ev.to ?? "") });
      return;
    }
    case "message.sent":
      if (agentId && host.serves(agentId)) await onMessageSent(ctx, ev);
      return;
    default:
      return;
  }
}
