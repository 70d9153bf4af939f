/**
 * Messages the runner handles for the agents it serves: `status_request` and `ping` are answered by the runner
 * itself (`status_response` / `pong` to the sender, same correlation id), `shutdown` drains the agent, and an
 * urgent message to a working agent interrupts its run (the task goes back to the front of its queue; the next
 * run's prompt starts with the message, which is still in the inbox).
 */
import {
  closeAgent,
  findAgent,
  inboxLength,
  isCoreError,
  isLostRace,
  sendMessage,
  takeMessage,
  takeMessages,
  type Agent,
  type Message,
  type TownEvent,
} from "@tinytown/core";
import type { RunnerContext } from "./context";

export const CONTROL_TYPES: ReadonlySet<string> = new Set(["status_request", "ping", "shutdown"]);
/** Replies never interrupt a run, even when sent urgent. */
const REPLY_TYPES: ReadonlySet<string> = new Set(["status_response", "pong", "ack"]);

export async function onMessageSent(ctx: RunnerContext, ev: TownEvent): Promise<void> {
  const agentId = typeof ev.agentId === "string" ? ev.agentId : null;
  const messageId = typeof ev.messageId === "string" ? ev.messageId : null;
  if (!agentId || !messageId) return;
  const type = typeof ev.msgType === "string" ? ev.msgType : "";
  if (CONTROL_TYPES.has(type)) {
    // Every runner serving the agent races for it; ZREM lets exactly one win.
    const m = await takeMessage(ctx.town, agentId, messageId);
    if (m) await handleControl(ctx, agentId, m);
    return;
  }
  if (ev.priority !== "urgent" || REPLY_TYPES.has(type)) return;
  const run = ctx.runsByAgent.get(agentId);
  // Only the runner running the agent's task interrupts it, and only if this message is not already in its prompt.
  if (!run || run.abortReason || run.promptMessageIds.has(messageId)) return;
  ctx.log.info(
    `urgent message for agent ${typeof ev.toName === "string" ? ev.toName : agentId}: interrupting task ${run.taskId.slice(0, 8)}`,
  );
  run.abort({
    kind: "interrupt",
    message: `interrupted by an urgent message from ${typeof ev.from === "string" ? ev.from : "?"}`,
  });
}

/** Handles control messages left in an inbox (sent while no runner served the agent). */
export async function handlePendingControl(ctx: RunnerContext, agentId: string): Promise<void> {
  for (const m of await takeMessages(ctx.town, agentId, (m) => CONTROL_TYPES.has(m.type)))
    await handleControl(ctx, agentId, m);
}

export async function handleControl(ctx: RunnerContext, agentId: string, m: Message): Promise<void> {
  const agent = await findAgent(ctx.town, agentId);
  if (!agent) return;
  if (m.type === "shutdown") {
    try {
      await closeAgent(ctx.town, agentId, ctx.by);
      ctx.log.info(`agent ${agent.name}: shutdown requested by ${m.from}`);
    } catch (err) {
      // Already closing or stopped.
      if (!isLostRace(err)) throw err;
    }
    return;
  }
  const reply =
    m.type === "ping"
      ? {
          type: "pong" as const,
          body: `pong from ${agent.name} (${agent.state})`,
          data: { agentId: agent.id, state: agent.state },
        }
      : { type: "status_response" as const, ...(await statusOf(ctx, agent)) };
  const base = { from: agent.name, priority: m.priority, correlationId: m.correlationId ?? m.id, ...reply };
  try {
    await sendMessage(ctx.town, { ...base, to: m.from });
  } catch (err) {
    // The sender is not a mailbox (a person's name, an agent since removed): the supervisor gets the answer.
    if (!isCoreError(err, "NOT_FOUND")) throw err;
    await sendMessage(ctx.town, { ...base, to: "supervisor", data: { ...base.data, requestedBy: m.from } });
  }
}

async function statusOf(ctx: RunnerContext, agent: Agent): Promise<{ body: string; data: Record<string, unknown> }> {
  const inbox = await inboxLength(ctx.town, agent.id);
  const working = agent.currentTask ? ` on task ${agent.currentTask.slice(0, 8)}` : "";
  return {
    body: `${agent.name} is ${agent.state}${working}; ${agent.tasksCompleted} done, ${agent.tasksFailed} failed; ${inbox} message(s) waiting`,
    data: {
      agentId: agent.id,
      name: agent.name,
      model: agent.model,
      state: agent.state,
      currentTask: agent.currentTask,
      runner: ctx.id,
      tasksCompleted: agent.tasksCompleted,
      tasksFailed: agent.tasksFailed,
      lastHeartbeat: agent.lastHeartbeat,
      inbox,
    },
  };
}
