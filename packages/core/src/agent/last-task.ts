import { parseEvents } from "../channel/events";
import { listTasks } from "../task/task.service";
import type { Town } from "../town/town";
import { resolveAgent } from "./agent.service";

/**
 * The agent's current task, or the last one it started: among its tasks, else (its tasks were given back when it
 * was killed or closed) the newest `task.started` of it still in the capped event stream. Null when none.
 */
export async function lastTaskOf(town: Town, ref: string): Promise<string | null> {
  const agent = await resolveAgent(town, ref);
  if (agent.currentTask) return agent.currentTask;
  const { items } = await listTasks(town, { agent: agent.id, limit: 1000 });
  const ran = items.filter((t) => t.startedAt).sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0));
  if (ran[0]) return ran[0].id;
  let end = "+";
  for (let page = 0; page < 100; page++) {
    const batch = (await town.redis.xrevrange(town.keys.events, end, "-", "COUNT", 500)) as [string, string[]][];
    for (const ev of parseEvents(batch))
      if (ev.type === "task.started" && ev.agentId === agent.id && typeof ev.taskId === "string") return ev.taskId;
    if (batch.length < 500) break;
    end = `(${batch.at(-1)![0]}`;
  }
  return null;
}
