import type { BenchRedis } from "./lib/redis";
import type { Row, Section } from "./lib/report";

export interface BenchContext {
  redis: BenchRedis;
  quick: boolean;
  /** Repetitions of each measured run (median over them). */
  runs: number;
  rows: Row[];
  sections: Section[];
  log(msg: string): void;
}

export function section(ctx: BenchContext, id: string, title: string): string[] {
  const s = { id, title, lines: [] as string[] };
  ctx.sections.push(s);
  return s.lines;
}
