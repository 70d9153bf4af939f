/**
 * A run's structured session (packages/core/src/sessions/README.md): the gate before launch (budgets, rate limits,
 * lanes), the argv that resumes the task's CLI session, and the stdout of a structured CLI read through its adapter
 * into the task's activity stream and usage sums (in batches), with one readable line per event in the task log.
 * Crossing a budget or meeting a rate limit stops the run at once (`run.abort`); the run's end keeps the session for
 * the next run and records the rate limit.
 */
import { randomBytes } from "node:crypto";
import {
  budgetLimits,
  budgetSpend,
  checkBudget,
  createActivityRecorder,
  createAdapter,
  findTaskSession,
  formatActivity,
  formatUsageLine,
  pickLane,
  providerModelFromArgs,
  rateLimitedUntil,
  runArgs,
  setRateLimited,
  saveTaskSession,
  structuredModel,
  type ActivityAdapter,
  type ActivityEvent,
  type BudgetLimits,
  type Lane,
  type ResolvedModel,
  type Task,
} from "@tinytown/core";
import type { ActiveRun, RunnerContext } from "../context";
import type { ExitResult, OutputSink } from "../process/agent-process";
import type { TaskOutput } from "../process/task-output";
import type { RunEnd } from "../processors/run-end";

/** Structured CLIs print long lines (a Write call carries a whole file): a cut line only becomes a `raw` event. */
export const STRUCTURED_MAX_LINE_CHARS = 1024 * 1024;
/** Events stored per script call at most; a batch is whatever arrived while the previous one was stored. */
const BATCH_EVENTS = 500;
const BACKLOG_EVENTS = 2_000;
/** How long a run waits when the provider names no reset time. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 5 * 60_000;

/** Parsing cost in this process (adapter + readable line), over all runs: the overhead per event, measured. */
export const parseStats = { lines: 0, events: 0, ns: 0n };

/** What the runner needs from a session before launching. */
export interface SessionPlan {
  /** The model as this run launches it: structured mode, the resume argv, the lane's environment. */
  model: ResolvedModel;
  session: SessionRun;
}

/**
 * Before launch: refuses a run whose budget is reached, defers one whose agent (or every lane of its model) is
 * rate-limited, picks a free lane and builds the argv (resuming the task's session when the same model left one).
 */
export async function planSession(
  ctx: RunnerContext,
  run: ActiveRun,
  task: Task,
  resolved: ResolvedModel,
): Promise<SessionPlan | RunEnd> {
  const { town } = ctx;
  const ids = { taskId: task.id, agentId: run.agentId };
  let model = structuredModel(resolved);
  const lanes = town.config.lanes[model.name] ?? [];
  // One round trip: the commands go out together on the town's connection.
  const [limits, spend, until, prior] = await Promise.all([
    budgetLimits(town, ids),
    budgetSpend(town, ids),
    rateLimitedUntil(
      town,
      lanes.length > 0 ? lanes.map((l) => ({ model: model.name, lane: l.name })) : [{ agentId: run.agentId }],
    ),
    findTaskSession(town, task.id),
  ]);
  const budget = checkBudget(limits, spend);
  if (!budget.ok) return budgetEnd(budget.reason, "budget reached before start");
  let lane: Lane | null = null;
  if (lanes.length > 0) {
    const picked = pickLane(lanes, until);
    if (!picked.lane) return deferEnd(picked.until, `every lane of ${model.name} is rate-limited`);
    lane = picked.lane;
    model = { ...model, env: { ...model.env, ...lane.env } };
  } else if (until[0]) return deferEnd(until[0], "the agent is rate-limited");
  const protocol = model.protocol ?? "lines";
  const resume =
    prior && prior.model === model.name && prior.protocol === protocol && prior.lane === (lane?.name ?? null)
      ? prior
      : null;
  const args = runArgs(model, resume?.sessionId);
  model = { ...model, args };
  const adapter = createAdapter(protocol, {
    pricing: town.config.pricing,
    modelName: model.name,
    providerModel: providerModelFromArgs(args),
    rateLimit: model.rateLimit,
    raw: protocol !== "lines",
    ...(resume?.cumulative ? { baseline: resume.cumulative } : {}),
  });
  const runId = `${task.id}.${task.attempts}.${randomBytes(4).toString("hex")}`;
  const session = new SessionRun(ctx, run, { runId, task, model, adapter, limits, lane, resumed: resume?.sessionId });
  return { model, session };
}

const budgetEnd = (reason: string, note: string): RunEnd => ({
  verdict: { kind: "fail", error: reason, messages: "return" },
  note,
  log: { level: "info", message: reason },
});

const deferEnd = (until: number, why: string): RunEnd => ({
  verdict: { kind: "defer", reason: `${why} until ${hhmm(until)} UTC`, until },
  note: `deferred: ${why}`,
});

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

interface SessionRunInput {
  runId: string;
  task: Task;
  model: ResolvedModel;
  adapter: ActivityAdapter;
  limits: BudgetLimits;
  lane: Lane | null;
  resumed?: string;
}

/** One run's session: the output sink the process writes into, and what is kept when it ends. */
export class SessionRun {
  readonly structured: boolean;
  private readonly recorder;
  private pending: ActivityEvent[] = [];
  private flushing: Promise<void> | null = null;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly ctx: RunnerContext,
    private readonly run: ActiveRun,
    private readonly input: SessionRunInput,
  ) {
    this.structured = (input.model.protocol ?? "lines") !== "lines";
    this.recorder = createActivityRecorder(ctx.town, {
      runId: input.runId,
      taskId: input.task.id,
      agentId: run.agentId,
      model: input.model.name,
    });
  }

  get lineCap(): number | undefined {
    return this.structured ? STRUCTURED_MAX_LINE_CHARS : undefined;
  }

  /** The first log line of the run: which lane, which session it resumes. */
  describe(): string | null {
    const parts = [
      this.input.lane ? `lane ${this.input.lane.name}` : "",
      this.input.resumed ? `resuming session ${this.input.resumed}` : "",
    ].filter(Boolean);
    return parts.length > 0 ? parts.join(", ") : null;
  }

  /**
   * The sink the agent process writes into: a structured CLI's stdout goes through the adapter (readable lines into
   * `output`, events into the activity stream); stderr, and a line model's stdout, go to `output` as they are (a line
   * model's lines are still watched for its rate-limit pattern).
   */
  sink(output: TaskOutput): OutputSink {
    const backlog = () => this.pending.length >= BACKLOG_EVENTS;
    return {
      write: (stream, line) => {
        if (this.structured && stream === "out") this.structuredLine(output, line);
        else {
          output.write(stream, line);
          if (!this.structured && this.input.model.rateLimit) this.watchLine(line);
        }
      },
      get backlogged() {
        return output.backlogged || backlog();
      },
      drained: async () => {
        await output.drained();
        if (backlog()) await new Promise<void>((r) => this.waiters.push(r));
      },
    };
  }

  private structuredLine(output: TaskOutput, line: string): void {
    const t0 = process.hrtime.bigint();
    const events = this.input.adapter.push(line);
    const lines = events.map(formatActivity);
    parseStats.ns += process.hrtime.bigint() - t0;
    parseStats.lines++;
    parseStats.events += events.length;
    for (const l of lines) if (l !== null) output.write("out", l);
    this.add(events);
  }

  /** A line model's output: only its rate-limit events matter (the task log has the line already). */
  private watchLine(line: string): void {
    const events = this.input.adapter.push(line).filter((e) => e.kind === "rate_limit");
    this.add(events);
  }

  private add(events: ActivityEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) {
      if (e.kind === "rate_limit" && e.status === "limited") {
        this.run.abort({
          kind: "rate-limit",
          until: e.until ?? Date.now() + DEFAULT_RATE_LIMIT_WAIT_MS,
          message: e.message ?? "the provider's rate limit is reached",
        });
      }
    }
    this.pending.push(...events);
    this.flushing ??= this.flushLoop();
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, BATCH_EVENTS);
        this.wake();
        try {
          const { spend } = await this.recorder.record(batch);
          const verdict = checkBudget(this.input.limits, spend);
          if (!verdict.ok) this.run.abort({ kind: "budget", reason: verdict.reason });
        } catch (err) {
          // Redis away: the recorder keeps the batch and sends it again with the next one (idempotent per seq).
          this.ctx.log.warn(`task ${this.input.task.id.slice(0, 8)} activity: ${String(err)}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      this.flushing = null;
      this.wake();
    }
  }

  private wake(): void {
    if (this.pending.length >= BACKLOG_EVENTS) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /**
   * The process ended: closes the adapter's open calls, stores everything, keeps the session for the next run of the
   * task, records a rate limit, and writes the run's totals into the log.
   */
  async finish(exit: ExitResult, output: TaskOutput): Promise<void> {
    const { adapter, task, model, lane } = this.input;
    const code = exit.kind === "exited" ? exit.code : null;
    const signal = exit.kind === "signalled" ? exit.signal : null;
    if (exit.kind !== "spawn-failed") {
      const tail = adapter.end({ code, signal });
      if (this.structured) {
        for (const l of tail.map(formatActivity)) if (l !== null) output.write("out", l);
        this.add(tail);
      } else this.add(tail.filter((e) => e.kind === "rate_limit"));
    }
    for (let i = 0; i < 3 && (this.flushing || this.pending.length > 0); i++) {
      this.flushing ??= this.flushLoop();
      await this.flushing;
    }
    const { town, by } = this.ctx;
    const state = adapter.state;
    if (state.sessionId && model.resumeArgs) {
      await saveTaskSession(town, task.id, {
        sessionId: state.sessionId,
        model: model.name,
        protocol: model.protocol ?? "lines",
        cumulative: state.cumulative,
        lane: lane?.name ?? null,
      }).catch((err) => this.ctx.log.warn(`task ${task.id.slice(0, 8)} session: ${String(err)}`));
    }
    const reason = this.run.abortReason;
    if (reason?.kind === "rate-limit") {
      let laneOnly = false;
      if (lane) {
        const lanes = town.config.lanes[model.name] ?? [];
        const others = await rateLimitedUntil(
          town,
          lanes.filter((l) => l.name !== lane.name).map((l) => ({ model: model.name, lane: l.name })),
        );
        laneOnly = others.some((u) => u === null);
      }
      const until = reason.until;
      await setRateLimited(town, {
        agentId: this.run.agentId,
        until,
        message: reason.message,
        ...(lane ? { lane: { model: model.name, name: lane.name } } : {}),
        laneOnly,
        by,
      });
      // Another lane of the model is free: the task goes back now and its next run takes that lane.
      if (laneOnly) {
        reason.until = Date.now();
        reason.message = `lane ${lane!.name} is rate-limited until ${hhmm(until)} UTC; moving to another lane`;
      }
    }
    if (this.structured) output.sys(`usage: ${formatUsageLine(state.tokens, state.usd)}`);
  }
}
