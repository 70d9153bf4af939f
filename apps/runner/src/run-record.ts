/**
 * Which process runs an agent's task, kept in the agent's control hash (`tt:<town>:control:<agentId>`, field
 * `run`): runner, host, pid. A runner killed with SIGKILL leaves its agent process behind (it leads its own
 * process group); the runner that takes the task over kills it when it is on the same host.
 */
import { readFileSync } from "node:fs";
import type { RunnerContext } from "./context";

export interface RunRecord {
  runner: string;
  host: string;
  pid: number;
  taskId: string;
  version: number;
  startedAt: number;
}

export async function writeRunRecord(ctx: RunnerContext, agentId: string, rec: RunRecord): Promise<void> {
  await ctx.town.redis.hset(ctx.town.keys.agentControl(agentId), "run", JSON.stringify(rec));
}

export async function clearRunRecord(ctx: RunnerContext, agentId: string, taskId: string): Promise<void> {
  const rec = await readRunRecord(ctx, agentId);
  if (rec?.taskId === taskId && rec.runner === ctx.id) await ctx.town.redis.hdel(ctx.town.keys.agentControl(agentId), "run");
}

async function readRunRecord(ctx: RunnerContext, agentId: string): Promise<RunRecord | null> {
  const raw = await ctx.town.redis.hget(ctx.town.keys.agentControl(agentId), "run");
  try {
    return raw ? (JSON.parse(raw) as RunRecord) : null;
  } catch {
    return null;
  }
}

/** True when `pid` is alive and is the agent process of `taskId` (checked in its environment, so a reused pid is left alone). */
function isAgentProcessOf(pid: number, taskId: string): boolean {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    return env.includes(`TT_TASK=${taskId}`);
  } catch {
    return false;
  }
}

/** Kills the process tree a lost runner left for `taskId`, when it runs on this host. Returns its pid if killed. */
export async function killOrphan(ctx: RunnerContext, agentId: string, taskId: string): Promise<number | null> {
  const rec = await readRunRecord(ctx, agentId);
  if (!rec || rec.taskId !== taskId || rec.host !== ctx.host || rec.runner === ctx.id) return null;
  if (!isAgentProcessOf(rec.pid, taskId)) return null;
  try {
    process.kill(-rec.pid, "SIGKILL");
  } catch {
    try {
      process.kill(rec.pid, "SIGKILL");
    } catch {
      return null;
    }
  }
  ctx.log.warn(`killed the process ${rec.pid} that lost runner ${rec.runner} left running task ${taskId.slice(0, 8)}`);
  return rec.pid;
}
