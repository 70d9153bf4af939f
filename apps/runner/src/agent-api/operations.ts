/**
 * What each agent API operation does, within the run's scope: the task is always the run's own task, `by` and
 * `from` are always the agent, the inbox is always its own. Each handler calls core; core validates the rest.
 */
import {
  askHuman,
  completeTask,
  findAgent,
  resolveModel,
  waitForAnswer,
  AGENT_INBOX_MAX_WAIT_MS,
  CoreError,
  createRedis,
  drain,
  failTask,
  getTask,
  peek,
  receive,
  resolveMailbox,
  sendMessageWaking,
  type AgentOpName,
  type AgentOpResults,
  type AgentOps,
  type Town,
} from "@tinytown/core";
import type { z } from "zod";
import type { RunScope } from "./credentials";

type Handler<N extends AgentOpName> = (
  town: Town,
  scope: RunScope,
  input: z.output<(typeof AgentOps)[N]>,
  signal: AbortSignal,
) => Promise<AgentOpResults[N]>;

/** Short ids are 8 characters: a prefix at least that long names the own task. */
const MIN_PREFIX = 8;

/** The run's task id, when `ref` is absent or names it; anything else is refused. */
function ownTask(scope: RunScope, ref: string | undefined): string {
  if (ref === undefined) return scope.taskId;
  const r = ref.trim().toLowerCase();
  if (r === scope.taskId || (r.length >= MIN_PREFIX && scope.taskId.startsWith(r))) return scope.taskId;
  throw new CoreError(
    "FORBIDDEN",
    `agent ${scope.agentName} may only act on its own task ${scope.taskId}, not "${ref}"`,
    { task: scope.taskId },
  );
}

export const HANDLERS: { [N in AgentOpName]: Handler<N> } = {
  "task.show": (town, scope, input) => getTask(town, ownTask(scope, input.task)),

  "task.complete": (town, scope, input) =>
    completeTask(town, {
      taskId: ownTask(scope, input.task),
      expectedVersion: scope.version,
      result: input.result,
      by: scope.agentName,
    }),

  "task.fail": (town, scope, input) =>
    failTask(town, {
      taskId: ownTask(scope, input.task),
      expectedVersion: scope.version,
      error: input.error,
      by: scope.agentName,
    }),

  "message.send": async (town, scope, input) => {
    // A shutdown drains the receiving agent: an operator's action, never another agent's.
    if (input.type === "shutdown")
      throw new CoreError("FORBIDDEN", "agents cannot send shutdown messages: closing an agent is for operators");
    const box = await resolveMailbox(town, input.to);
    const { message } = await sendMessageWaking(town, { ...input, to: box.id, from: scope.agentName });
    return { message, to: box.name };
  },

  ask: async (town, scope, input, signal) => {
    const agent = await findAgent(town, scope.agentId);
    let model: { ask?: "end-run" | "block"; askTimeoutSec?: number } = {};
    try {
      if (agent) model = resolveModel(town.config.models, agent.model);
    } catch {
      // an unknown model: the default (end the run)
    }
    const mode = model.ask ?? "end-run";
    const { need } = await askHuman(town, {
      question: input.question,
      options: input.options,
      mode,
      taskId: scope.taskId,
      agentId: scope.agentId,
      expectedVersion: scope.version,
      by: scope.agentName,
    });
    if (mode === "end-run") return { need, mode, answer: null, answeredBy: null };
    const conn = createRedis(town.redisUrl, {
      blocking: true,
      readsOnly: true,
      connectionName: `tt:${town.name}:agent-api:ask`,
    });
    conn.on("error", () => undefined);
    const stop = () => conn.disconnect();
    signal.addEventListener("abort", stop, { once: true });
    try {
      const timeout = Math.min((model.askTimeoutSec ?? 600) * 1000, AGENT_INBOX_MAX_WAIT_MS);
      const got = await waitForAnswer(town, need.id, timeout, conn, signal).catch((err) => {
        if (signal.aborted) return null;
        throw err;
      });
      return { need, mode, answer: got?.answer ?? null, answeredBy: got?.by ?? null };
    } finally {
      signal.removeEventListener("abort", stop);
      conn.disconnect();
    }
  },

  "inbox.read": async (town, scope, input, signal) => {
    const mailbox = scope.agentName;
    if (!input.take) return { mailbox, messages: await peek(town, scope.agentId, input.limit) };
    const messages = await drain(town, scope.agentId, input.limit);
    if (messages.length > 0 || input.waitMs === 0) return { mailbox, messages };
    // A wait blocks its connection: each waiting request gets its own, closed when it ends.
    const conn = createRedis(town.redisUrl, {
      blocking: true,
      readsOnly: true,
      connectionName: `tt:${town.name}:agent-api:wait`,
    });
    conn.on("error", () => undefined);
    // The run ended or the caller left: cut the blocking read short (the server then pops nothing for it).
    const stop = () => conn.disconnect();
    signal.addEventListener("abort", stop, { once: true });
    try {
      const m = await receive(town, scope.agentId, input.waitMs, { signal, connection: conn }).catch((err) => {
        if (signal.aborted) return null;
        throw err;
      });
      return { mailbox, messages: m ? [m] : [] };
    } finally {
      signal.removeEventListener("abort", stop);
      conn.disconnect();
    }
  },
};
