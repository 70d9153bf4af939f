/**
 * The HTTP endpoints for operators and monitors: readiness (can this server do its job?) and Prometheus metrics.
 * Both answer within a bounded time even when Redis hangs (CLIENT PAUSE) or is gone.
 */
import { countAgents, countTasks, inboxLength, listRunners, SUPERVISOR, type Town } from "@tinytown/core";

/** How long a check may take before it counts as failed. */
const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(p: Promise<T>, what: string, ms = CHECK_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface Readiness {
  ready: boolean;
  /** Why not, in a few words each (empty when ready). Nothing more: the endpoint is public. */
  reasons: string[];
}

/** Ready when Redis answers and at least one runner is alive. `town` is a promise so a failed connect is a reason too. */
export async function readiness(town: Promise<Town>): Promise<Readiness> {
  let t: Town;
  try {
    t = await withTimeout(town, "connecting to Redis");
    await withTimeout(t.redis.ping(), "Redis");
  } catch {
    return { ready: false, reasons: ["redis unreachable"] };
  }
  try {
    const alive = (await withTimeout(listRunners(t), "Redis")).filter((r) => r.alive).length;
    return alive > 0 ? { ready: true, reasons: [] } : { ready: false, reasons: ["no runner alive"] };
  } catch {
    return { ready: false, reasons: ["redis unreachable"] };
  }
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** The town's gauges in the Prometheus text exposition format (version 0.0.4). */
export async function metricsText(town: Town): Promise<string> {
  const [tasks, agents, backlog, runners, events, supervisor] = await withTimeout(
    Promise.all([
      countTasks(town),
      countAgents(town),
      town.redis.zcard(town.keys.backlog),
      listRunners(town),
      town.redis.xlen(town.keys.events),
      inboxLength(town, SUPERVISOR),
    ]),
    "Redis",
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
  return lines.join("\n") + "\n";
}
