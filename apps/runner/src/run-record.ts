/**
 * A runner killed with SIGKILL leaves its agent process behind (it leads its own process group); the runner that
 * takes the task over kills it when it is on the same host: the process in the agent's run record (core
 * runners/runs.ts), or any process of that task another runner started.
 */
import { readdirSync, readFileSync } from "node:fs";
import { findRunRecord } from "@tinytown/core";
import type { RunnerContext } from "./context";

/** True when `pid` is alive and is the agent process of `taskId` (checked in its environment, so a reused pid is left alone). */
function isAgentProcessOf(pid: number, taskId: string): boolean {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    return env.includes(`TT_TASK=${taskId}`);
  } catch {
    return false;
  }
}

/**
 * Processes on this host that another runner started for `taskId` (by TT_TASK and TT_RUNNER in their
 * environment). Covers a runner killed after spawning but before it could write the run record.
 */
function leftoverProcesses(taskId: string, notRunner: string): number[] {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const d of pids) {
    try {
      const env = readFileSync(`/proc/${d}/environ`, "utf8").split("\0");
      if (
        env.includes(`TT_TASK=${taskId}`) &&
        env.some((e) => e.startsWith("TT_RUNNER=") && e !== `TT_RUNNER=${notRunner}`)
      )
        out.push(Number(d));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

function killTree(pid: number): boolean {
  try {
    process.kill(-pid, "SIGKILL");
    return true;
  } catch {
    try {
      process.kill(pid, "SIGKILL");
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Kills the process tree a lost runner left for `taskId` on this host: the one in the run record, or — when the
 * runner died before writing it — any process of that task another runner started. Returns the pids killed.
 */
export async function killOrphan(ctx: RunnerContext, agentId: string, taskId: string): Promise<number[]> {
  const rec = await findRunRecord(ctx.town, agentId);
  const recorded =
    rec && rec.taskId === taskId && rec.host === ctx.host && rec.runner !== ctx.id && isAgentProcessOf(rec.pid, taskId)
      ? [rec.pid]
      : [];
  const pids = recorded.length ? recorded : leftoverProcesses(taskId, ctx.id);
  const killed = pids.filter(killTree);
  for (const pid of killed)
    ctx.log.warn(`killed the process ${pid} a lost runner left running task ${taskId.slice(0, 8)}`);
  return killed;
}
