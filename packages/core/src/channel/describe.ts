/**
 * Town events in plain words ("ada moved 'Fix login' to worker-2"), for the audit view, the dashboard and the CLI
 * alike. Pure (no Redis, no Node): exported from `@tinytown/core/schema`.
 */
import type { TownEvent } from "./event-types";

/** Finds an agent's name by id (events carry ids); null when it is not known (e.g. the agent was pruned). */
export type AgentNameOf = (agentId: string) => string | null;

const TITLE_CHARS = 60;

/** A task's title as quoted in a sentence: its first line, cut to {@link TITLE_CHARS} characters. */
function quote(title: unknown, taskId: unknown): string {
  if (typeof title === "string" && title.trim()) {
    const line = title.trim().split("\n")[0]!;
    return `'${line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS - 1)}…` : line}'`;
  }
  return typeof taskId === "string" ? `task ${taskId.slice(0, 8)}` : "a task";
}

const str = (v: unknown): string | null => (typeof v === "string" && v ? v : null);

/** The agent an event is about, by name when known. */
function agentOf(e: TownEvent, nameOf: AgentNameOf, key: "agentId" | "prevAgentId" = "agentId"): string | null {
  const id = str(e[key]);
  if (key === "agentId" && str(e.name)) return str(e.name);
  if (!id) return null;
  return nameOf(id) ?? `agent ${id.slice(0, 8)}`;
}

const AGENT_ACTIONS: Record<string, string> = {
  interrupt: "paused",
  resume: "resumed",
  close: "asked to close",
  kill: "stopped",
  restart: "restarted",
};

/** One event as a sentence: who did what to what. */
export function describeEvent(e: TownEvent, nameOf: AgentNameOf = () => null): string {
  const who = e.by || "someone";
  const task = quote(e.title, e.taskId);
  const agent = agentOf(e, nameOf);
  switch (e.type) {
    case "task.created":
      return `${who} created ${task}${agent && e.to === "assigned" ? ` for ${agent}` : ""}`;
    case "task.assigned":
      if (e.from !== "assigned") return `${who} assigned ${task} to ${agent ?? "an agent"}`;
      return e.prevAgentId && e.prevAgentId !== e.agentId
        ? `${who} moved ${task} from ${agentOf(e, nameOf, "prevAgentId")} to ${agent ?? "another agent"}`
        : `${who} moved ${task} to ${agent ?? "an agent"}`;
    case "task.unassigned":
      return `${who} moved ${task} back to the backlog`;
    case "task.started":
      return `${agent ?? who} started ${task}`;
    case "task.completed":
      return `${agent ?? who} completed ${task}`;
    case "task.failed":
      return `${task} failed${agent ? ` on ${agent}` : ""}${str(e.error) ? `: ${str(e.error)!.split("\n")[0]!.slice(0, 120)}` : ""}`;
    case "task.requeued":
      return `${task} went back to ${agent ?? "its agent"}'s queue${str(e.reason) ? ` (${str(e.reason)})` : ""}`;
    case "task.cancelled":
      return `${who} cancelled ${task}`;
    case "task.waiting":
      return `${agent ?? who} asked a human about ${task} and waits for the answer`;
    case "need.opened":
      return `${who} asked: '${(str(e.title) ?? "a question").slice(0, TITLE_CHARS)}'`;
    case "need.claimed":
      return e.claimedBy
        ? `${who} took '${(str(e.title) ?? "an item").slice(0, TITLE_CHARS)}'`
        : `${who} released an item`;
    case "need.closed":
      return `${who} ${e.answered ? "answered" : "dismissed"} '${(str(e.title) ?? "an item").slice(0, TITLE_CHARS)}'`;
    case "task.retried":
      return `${who} retried ${task}`;
    case "agent.spawned":
      return `${who} spawned ${agent ?? "an agent"}${str(e.model) ? ` (${str(e.model)})` : ""}`;
    case "agent.state": {
      const action = str(e.action);
      if (action && AGENT_ACTIONS[action]) return `${who} ${AGENT_ACTIONS[action]} ${agent ?? "an agent"}`;
      if (e.to === "error")
        return `${agent ?? "an agent"} stopped with an error${str(e.error) ? `: ${str(e.error)}` : ""}`;
      return `${agent ?? "an agent"} is now ${String(e.to ?? "changed")}`;
    }
    case "agent.removed":
      return `${who} removed ${agent ?? "an agent"}`;
    case "message.sent":
      return `${who} sent ${str(e.msgType) && e.msgType !== "info" ? `a ${str(e.msgType)} message` : "a message"} to ${str(e.toName) ?? agent ?? "an agent"}${str(e.preview) ? `: '${str(e.preview)!.slice(0, TITLE_CHARS)}'` : ""}`;
    case "user.added":
      return `${who} added ${str(e.user) ?? "a user"}${str(e.role) ? ` as ${str(e.role)}` : ""}`;
    case "user.role":
      return `${who} made ${str(e.user) ?? "a user"} ${str(e.role) === "viewer" ? "a viewer" : `an ${str(e.role) ?? "other role"}`}`;
    case "user.removed":
      return `${who} removed ${str(e.user) ?? "a user"}`;
    case "user.signed_out":
      return `${str(e.user) ?? "a user"} was signed out everywhere${who !== str(e.user) ? ` by ${who}` : ""}`;
    case "user.password":
      return who === str(e.user)
        ? `${who} changed their password`
        : `${who} reset ${str(e.user) ?? "a user"}'s password`;
    case "user.unlocked":
      return `${who} unlocked sign-in for ${str(e.user) ?? "a user"}`;
    case "token.created":
      return `${who} created the token ${str(e.token) ?? ""}${str(e.role) ? ` (${str(e.role)})` : ""}`.replace(
        "  ",
        " ",
      );
    case "token.revoked":
      return `${who} revoked the token ${str(e.token) ?? ""}`.trimEnd();
    case "budget.set": {
      const scope = str(e.scope) ?? "town";
      const what = scope === "task" ? task : scope === "agent" ? (agent ?? "an agent") : "the town";
      return typeof e.usd === "number"
        ? `${who} set a budget of $${e.usd} on ${what}`
        : `${who} removed the budget of ${what}`;
    }
    case "agent.rate_limited":
      return typeof e.until === "number"
        ? `${agent ?? "an agent"} is rate-limited until ${new Date(e.until).toISOString().slice(11, 16)} UTC`
        : `${agent ?? "an agent"} is rate-limited`;
    case "town.initialised":
      return `${who} initialised the town`;
    case "stream.ready":
      return "live updates started";
    default:
      return `${who}: ${String(e.type)}`;
  }
}
