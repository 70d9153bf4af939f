/**
 * What operators and monitors ask: readiness (can this server do its job?) and Prometheus metrics. Both answer
 * within a bounded time even when Redis hangs (CLIENT PAUSE) or is gone.
 */
import { countAgents } from "../agent/agent.service";
import { inboxLength } from "../channel/channel";
import { SUPERVISOR } from "../redis/keys";
import { listRunners } from "../runners/registry";
import { agentRateLimits } from "../sessions/session-store";
import { usageGauges } from "../sessions/usage";
import { countTasks } from "../task/task.service";
import { withRedisDeadline } from "./redis-ready";
import type { Town } from "./town";

/** How long a check may take before it counts as failed. */
const CHECK_TIMEOUT_MS = 2_000;

export interface Readiness {
  ready: boolean;
  /** Why not, in a few words each (empty when ready). Nothing more: the endpoint is public. */
  reasons: string[];
}

/** Ready when Redis answers and at least one runner is alive. `town` is a promise so a failed connect is a reason too. */
export async function readiness(town: Promise<Town>): Promise<Readiness> {
  let t: Town;
  try {
    t = await withRedisDeadline(town, CHECK_TIMEOUT_MS);
    await withRedisDeadline(t.redis.ping(), CHECK_TIMEOUT_MS);
  } catch {
    return { ready: false, reasons: ["redis unreachable"] };
  }
  try {
    const alive = (await withRedisDeadline(listRunners(t), CHECK_TIMEOUT_MS)).filter((r) => r.alive).length;
    return alive > 0 ? { ready: true, reasons: [] } : { ready: false, reasons: ["no runner alive"] };
  } catch {
    return { ready: false, reasons: ["redis unreachable"] };
  }
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** The town's gauges in the Prometheus text exposition format (version 0.0.4). */
export async function metricsText(town: Town): Promise<string> {
  const [tasks, agents, backlog, runners, events, supervisor, usage, limited] = await withRedisDeadline(
    Promise.all([
      countTasks(town),
      countAgents(town),
      town.redis.zcard(town.keys.backlog),
      listRunners(town),
      town.redis.xlen(town.keys.events),
      inboxLength(town, SUPERVISOR),
      usageGauges(town),
      agentRateLimits(town),
    ]),
    CHECK_TIMEOUT_MS,
  );
  const townLabel = `town="${escapeLabel(town.name)}"`;
  const lines: string[] = [];
  const gauge = (name: string, help: string, values: [labels: string, value: number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of values)
      lines.push(`${name}{${[townLabel, labels].filter(Boolean).join(",")}} ${value}`);
  };
  gauge(
    "tinytown_tasks",
    "Tasks by state.",
    Object.entries(tasks).map(([s, n]) => [`state="${s}"`, n]),
  );
  gauge(
    "tinytown_agents",
    "Agents by state.",
    Object.entries(agents).map(([s, n]) => [`state="${s}"`, n]),
  );
  gauge("tinytown_backlog", "Pending tasks waiting for an agent.", [["", backlog]]);
  gauge("tinytown_runners_alive", "Runners that heartbeated recently.", [["", runners.filter((r) => r.alive).length]]);
  gauge("tinytown_runners", "Registered runners.", [["", runners.length]]);
  gauge("tinytown_events_stream_length", "Entries in the town's capped event stream.", [["", events]]);
  gauge("tinytown_supervisor_inbox", "Messages waiting in the supervisor mailbox.", [["", supervisor]]);
  gauge("tinytown_agents_rate_limited", "Agents waiting for a provider's rate limit to reset.", [["", limited.size]]);
  for (const g of usage) {
    lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} ${g.type}`);
    for (const v of g.values) {
      const labels = Object.entries(v.labels).map(([k, x]) => `${k}="${escapeLabel(x)}"`);
      lines.push(`${g.name}{${[townLabel, ...labels].join(",")}} ${v.value}`);
    }
  }
  return lines.join("\n") + "\n";
}
