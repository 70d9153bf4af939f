/** Each scenario's figures, appended to the run's results file; the global teardown prints the totals. */
import { appendFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { inject } from "vitest";
import { SIZE_NAME } from "./size";
import type { Figures } from "./invariants";

export interface ScenarioFigures extends Partial<Figures> {
  scenario: string;
  /** Processes killed on purpose (runners, Redis, agents by signal). */
  kills?: number;
  ms: number;
  [extra: string]: unknown;
}

/** Notes a process the suite started, so the global teardown can stop it (by PID) if a failed scenario left it. */
export function trackPid(pid: number | undefined, what: string): void {
  if (pid) appendFileSync(join(dirname(inject("faultsResults")), "pids.jsonl"), JSON.stringify({ pid, what }) + "\n");
}

export function report(fig: ScenarioFigures): void {
  const line = { size: SIZE_NAME, ...fig };
  appendFileSync(inject("faultsResults"), JSON.stringify(line) + "\n");
  console.log(`[faults:${SIZE_NAME}] ${JSON.stringify(line)}`);
}

declare module "vitest" {
  export interface ProvidedContext {
    faultsResults: string;
  }
}
