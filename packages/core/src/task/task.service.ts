import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { findAgent, resolveAgent } from "../agent/agent.service";
import { agentTakesWork, inReview } from "./board";
import { eventPlan, type EventType, type TownEvent } from "../channel/events";
import { sendMessage } from "../channel/channel";
import { settleRunMessages, type SettleMode } from "../channel/inflight";
import type { dequeueRuns as DequeueRuns, enqueueRun as EnqueueRun } from "../dispatch/dispatch";
import { CoreError, isLostRace, validationError } from "../errors";
import { applyPlan, type WritePlan } from "../redis/atomic";
import { changePlan, decodeFields, mergePlans, type Codec } from "../redis/entity";
import { runnerOf } from "../runners/registry";
import type { Town } from "../town/town";
import {
  AssignTaskInput,
  CompleteTaskInput,
  CreateTaskInput,
  FailTaskInput,
  ListTasksInput,
  priorityRank,
  TASK_STATES,
  TASK_TRANSITIONS,
  TaskChangeInput,
  type Task,
  type TaskState,
  type TaskTransition,
} from "./task";
import { reviewAfterRun } from "./review";

const CODEC: Codec = {
  numbers: ["createdAt", "updatedAt", "startedAt", "completedAt", "attempts", "version"],
  json: ["tags", "workspace", "review"],
};
const NULLABLE = [
  "assignedTo",
  "startedAt",
  "completedAt",
  "result",
  "error",
  "workspace",
  "review",
  "runner",
  "waitingFor",
] as const;

export const shortId = (id: string) => id.slice(0, 8);

/** Validates input with a zod schema; a VALIDATION CoreError names each bad field. */
export function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw validationError(what, r.error.issues);
  return r.data;
}

/** The backlog orders pending tasks by priority, then age (oldest first). */
const backlogScore = (t: Pick<Task, "priority" | "createdAt">) => priorityRank(t.priority) * 1e13 + t.createdAt;

/** A task from its hash (HGETALL); null when the hash is empty (no such task). */
export function taskFromHash(h: Record<string, string>): Task | null {
  return h.id ? decodeTask(h) : null;
}

function decodeTask(h: Record<string, string>): Task {
  const t = decodeFields<Task>(h, CODEC, NULLABLE);
  // A task started before the holder was a field of its own: its runner is the one that made the start.
  if (t.state === "running" && t.runner === null) t.runner = runnerOf(t.updatedBy);
  return t;
}

async function readTask(town: Town, id: string): Promise<Task | null> {
  const h = await town.redis.hgetall(town.keys.task(id));
  return h.id ? decodeTask(h) : null;
}

/** Finds a task by full id or unique id prefix; null when none matches. */
export async function findTask(town: Town, ref: string): Promise<Task | null> {
  const exact = await readTask(town, ref);
  if (exact) return exact;
  if (!/^[0-9a-f-]{1,36}$/i.test(ref)) return null;
  const ids = await town.redis.zrangebylex(
    town.keys.taskIds,
    `[${ref.toLowerCase()}`,
    `[${ref.toLowerCase()}\xff`,
    "LIMIT",
    0,
    10,
  );
  if (ids.length > 1) {
    throw new CoreError(
      "AMBIGUOUS",
      `"${ref}" matches ${ids.length} tasks (${ids.map(shortId).join(", ")}…): give more of the id`,
      { candidates: ids },
    );
  }
  return ids[0] ? readTask(town, ids[0]) : null;
}

export async function getTask(town: Town, ref: string): Promise<Task> {
  const t = await findTask(town, ref);
  if (!t) throw new CoreError("NOT_FOUND", `no task "${ref}" in town ${town.name}: \`tt tasks\` lists them`, { ref });
  return t;
}

/** Index updates that follow a task from `prev` to `next`. */
function indexPlan(town: Town, prev: Task | null, next: Task): WritePlan {
  const k = town.keys;
  const plan: Required<Pick<WritePlan, "zadd" | "zrem">> & WritePlan = { expect: [], zadd: [], zrem: [] };
  if (!prev) {
    plan.zadd.push(
      { key: k.tasks, score: next.createdAt, member: next.id },
      { key: k.taskIds, score: 0, member: next.id },
    );
  }
  if (!prev || prev.state !== next.state) {
    if (prev) plan.zrem.push({ key: k.tasksByState(prev.state), member: next.id });
    plan.zadd.push({ key: k.tasksByState(next.state), score: next.updatedAt, member: next.id });
  }
  if (inReview(next)) plan.zadd.push({ key: k.tasksInReview, score: next.updatedAt, member: next.id });
  else if (prev && inReview(prev)) plan.zrem.push({ key: k.tasksInReview, member: next.id });
  if (next.state === "pending") plan.zadd.push({ key: k.backlog, score: backlogScore(next), member: next.id });
  else if (prev?.state === "pending") plan.zrem.push({ key: k.backlog, member: next.id });
  if (prev?.assignedTo !== next.assignedTo) {
    if (prev?.assignedTo) plan.zrem.push({ key: k.tasksByAgent(prev.assignedTo), member: next.id });
    if (next.assignedTo)
      plan.zadd.push({ key: k.tasksByAgent(next.assignedTo), score: next.createdAt, member: next.id });
  }
  return plan;
}

function taskEvent(
  town: Town,
  type: EventType,
  by: string,
  prev: Task | null,
  next: Task,
  extra: Record<string, unknown> = {},
): WritePlan["event"] {
  return eventPlan(town, type, by, {
    taskId: next.id,
    agentId: next.assignedTo,
    prevAgentId: prev?.assignedTo ?? null,
    from: prev?.state ?? null,
    to: next.state,
    version: next.version,
    priority: next.priority,
    title: next.description.slice(0, 120),
    ...extra,
  });
}

/** Dispatch loads BullMQ: only when a change enqueues or dequeues, so that reading tasks never loads it. */
const dispatch = () => import("../dispatch/dispatch");
const enqueueRun = async (...args: Parameters<typeof EnqueueRun>) => (await dispatch()).enqueueRun(...args);
const dequeueRuns = async (...args: Parameters<typeof DequeueRuns>) => (await dispatch()).dequeueRuns(...args);

/** Keeps the last 200 changes of a task: who did what and when, after the town stream has moved on. */
const HISTORY_MAX = 200;

/** The event of a change, appended to the town stream and to the task's own history. */
function historyPlan(
  town: Town,
  type: EventType,
  by: string,
  prev: Task | null,
  next: Task,
  extra?: Record<string, unknown>,
): WritePlan {
  const event = taskEvent(town, type, by, prev, next, extra)!;
  const entry = { ...event.data, error: next.error, attempts: next.attempts };
  return {
    expect: [],
    event,
    rpush: [{ key: town.keys.taskHistory(next.id), value: JSON.stringify(entry), max: HISTORY_MAX }],
  };
}

/** A task's changes, oldest first (each with the town event id and type). */
export async function taskHistory(town: Town, taskId: string): Promise<TownEvent[]> {
  const rows = await town.redis.lrange(town.keys.taskHistory(taskId), 0, -1);
  return rows.map((r) => JSON.parse(r) as TownEvent);
}

export interface ChangeSpec {
  action: TaskTransition;
  event: EventType;
  expectedVersion?: number;
  by: string;
  /** Fields to change; may throw to refuse (e.g. the agent cannot take work). */
  patch: (t: Task, now: number) => Partial<Task> | Promise<Partial<Task>>;
  /** Runs when the transition is not legal from the current state; may return the task unchanged instead. */
  onIllegal?: (t: Task) => Task | null;
  /** After the state check: may throw to refuse, or return the task to leave it unchanged (a repeat). */
  guard?: (t: Task) => Task | null;
  /** More writes applied atomically with the change (e.g. the task's diff in its own key). */
  extraPlan?: (prev: Task, next: Task) => WritePlan;
  /** More fields for the change's event and history entry. */
  eventData?: (prev: Task, next: Task) => Record<string, unknown>;
  /** Runs after the change is applied (dispatch: enqueue or remove runs). */
  after?: (prev: Task, next: Task) => Promise<void>;
  /**
   * When the task leaves `running`: what happens to the messages its run had in its prompt. Default: consumed
   * when it ends completed or failed, given back to the inbox otherwise (requeued, cancelled).
   */
  messages?: SettleMode;
}

/** The INVALID_STATE error for `action` on a task whose state does not allow it. */
export function illegalTransition(t: Task, action: TaskTransition): CoreError {
  const allowed = TASK_TRANSITIONS[action] as readonly TaskState[];
  return new CoreError(
    "INVALID_STATE",
    `cannot ${action} task ${shortId(t.id)}: it is ${t.state} (${action} needs ${allowed.join(" or ")})`,
    { state: t.state, version: t.version, assignedTo: t.assignedTo },
  );
}

/**
 * The one way a task changes state: read, check the transition is legal and the version is the one the
 * caller saw, then apply atomically (the script re-checks the version). A concurrent change makes the
 * script refuse; we re-read and decide again, so racing callers see INVALID_STATE or CONFLICT, never both winning.
 * Exported for core's other task modules (task-review.service.ts); adapters call the named transitions.
 */
export async function changeTask(town: Town, ref: string, spec: ChangeSpec): Promise<Task> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const prev = await getTask(town, ref);
    const step = await planTaskChange(town, prev, spec);
    if ("same" in step) return step.same;
    const res = await applyPlan(town.redis, step.plan);
    if (res.ok) {
      await afterTaskChange(town, prev, step.next, spec);
      return step.next;
    }
    await new Promise((r) => setTimeout(r, Math.random() * 5 * Math.min(attempt + 1, 10)));
  }
  throw new CoreError("CONFLICT", `task ${ref} is changing too fast to update; try again`);
}

/** A planned task change: the next task and the plan that writes it (checks `prev`'s version), or `same`: no change. */
export type TaskStep = { next: Task; plan: WritePlan } | { same: Task };

/**
 * Decides `spec` on `prev` (version, legal transition, guard, patch) and builds its write plan: the hash, indexes,
 * event and history. Throws when refused. Callers that write more in the same script (a run's start and end,
 * runners/run-steps.ts) merge their plans into it, then call {@link afterTaskChange} once it is applied.
 */
export async function planTaskChange(town: Town, prev: Task, spec: ChangeSpec): Promise<TaskStep> {
  const allowed = TASK_TRANSITIONS[spec.action] as readonly TaskState[];
  if (spec.expectedVersion !== undefined && prev.version !== spec.expectedVersion) {
    throw new CoreError(
      "CONFLICT",
      `task ${shortId(prev.id)} changed since you saw it (it is now ${prev.state}, version ${prev.version}; you had version ${spec.expectedVersion}): reload and try again`,
      { state: prev.state, version: prev.version, assignedTo: prev.assignedTo },
    );
  }
  if (!allowed.includes(prev.state)) {
    const same = spec.onIllegal?.(prev);
    if (same) return { same };
    throw illegalTransition(prev, spec.action);
  }
  const unchanged = spec.guard?.(prev);
  if (unchanged) return { same: unchanged };
  const now = Date.now();
  const patch = await spec.patch(prev, now);
  const next: Task = { ...prev, ...patch, updatedAt: now, updatedBy: spec.by, version: prev.version + 1 };
  // A run ends with the change that takes the task out of `running`: its holder goes in the same write.
  if (next.state !== "running") next.runner = null;
  const plan = mergePlans(
    changePlan(town.keys.task(prev.id), prev, next, CODEC),
    indexPlan(town, prev, next),
    historyPlan(town, spec.event, spec.by, prev, next, spec.eventData?.(prev, next)),
    spec.extraPlan?.(prev, next) ?? { expect: [] },
  );
  return { next, plan };
}

/** What follows an applied task change: a run that ended settles its messages, then the spec's `after`. */
export async function afterTaskChange(town: Town, prev: Task, next: Task, spec: ChangeSpec): Promise<void> {
  if (prev.state === "running" && next.state !== "running") await settleRun(town, prev, next, spec.messages);
  await spec.after?.(prev, next);
}

/**
 * A run ended: its prompt's messages are consumed or given back (see channel/inflight.ts). Best effort after the
 * change: if this step is lost (a crash, Redis gone), the messages stay held under the ended run's tag, and the
 * agent's next run gives them back to the inbox before taking any, so nothing is lost.
 */
async function settleRun(town: Town, prev: Task, next: Task, mode?: SettleMode): Promise<void> {
  if (!prev.assignedTo) return;
  const end = next.state === "completed" || next.state === "failed";
  await settleRunMessages(town, {
    agentId: prev.assignedTo,
    taskId: prev.id,
    attempt: prev.attempts,
    mode: mode ?? (end ? "consume" : "return"),
  }).catch(() => undefined);
}

/** Checks an agent can take work and returns its id. */
export async function assignableAgent(town: Town, ref: string): Promise<string> {
  const agent = await resolveAgent(town, ref);
  if (!agentTakesWork(agent.state)) {
    throw new CoreError(
      "INVALID_STATE",
      `agent ${agent.name} is ${agent.state} and takes no new work${agent.state === "draining" ? "" : `: \`tt restart ${agent.name}\` first`}`,
      { agentState: agent.state },
    );
  }
  return agent.id;
}

export async function createTask(town: Town, raw: CreateTaskInput): Promise<Task> {
  const input = parse(CreateTaskInput, raw, "task");
  const agentId = input.assignTo ? await assignableAgent(town, input.assignTo) : null;
  const now = Date.now();
  const task: Task = {
    id: randomUUID(),
    description: input.description,
    state: agentId ? "assigned" : "pending",
    assignedTo: agentId,
    priority: input.priority,
    tags: [...new Set(input.tags)],
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    completedAt: null,
    result: null,
    error: null,
    attempts: 0,
    runner: null,
    createdBy: input.by,
    updatedBy: input.by,
    version: 1,
    workspace: null,
    review: null,
    waitingFor: null,
  };
  const plan = mergePlans(
    changePlan(town.keys.task(task.id), null, task, CODEC),
    indexPlan(town, null, task),
    historyPlan(town, "task.created", input.by, null, task),
  );
  const res = await applyPlan(town.redis, plan);
  if (!res.ok) throw new CoreError("INTERNAL", `could not create task: ${res.reason}`);
  await enqueueRun(town, task);
  return task;
}

/** Assigns a pending task, or reassigns an assigned one (not yet running) to another agent. */
export async function assignTask(town: Town, raw: AssignTaskInput): Promise<Task> {
  const input = parse(AssignTaskInput, raw, "assignment");
  const agentId = await assignableAgent(town, input.agent);
  return changeTask(town, input.taskId, {
    action: "assign",
    event: "task.assigned",
    expectedVersion: input.expectedVersion,
    by: input.by,
    patch: () => ({ state: "assigned", assignedTo: agentId }),
    after: async (prev, next) => {
      if (prev.assignedTo && prev.assignedTo !== next.assignedTo) await dequeueRuns(town, prev.assignedTo, prev.id);
      await enqueueRun(town, next);
    },
  });
}

/** Back to the backlog: an assigned task that has not started. */
export async function unassignTask(town: Town, raw: TaskChangeInput): Promise<Task> {
  const input = parse(TaskChangeInput, raw, "unassign");
  return changeTask(town, input.taskId, {
    action: "unassign",
    event: "task.unassigned",
    expectedVersion: input.expectedVersion,
    by: input.by,
    patch: () => ({ state: "pending", assignedTo: null }),
    after: async (prev) => dequeueRuns(town, prev.assignedTo!, prev.id),
  });
}

/**
 * A runner starts the task on its agent: counts an attempt, and the runner holds the task until the run ends.
 * `runner` defaults to the runner of a `runner:<id>` actor.
 */
export async function startTask(
  town: Town,
  input: { taskId: string; agentId: string; by: string; runner?: string },
): Promise<Task> {
  return changeTask(town, input.taskId, startSpec(input));
}

/** The change of {@link startTask}. */
export function startSpec(input: { agentId: string; by: string; runner?: string }): ChangeSpec {
  const runner = input.runner ?? runnerOf(input.by);
  return {
    action: "start",
    event: "task.started",
    by: input.by,
    patch: (t, now) => {
      if (t.assignedTo !== input.agentId) {
        throw new CoreError("CONFLICT", `task ${shortId(t.id)} is assigned to another agent now`, {
          state: t.state,
          version: t.version,
        });
      }
      return { state: "running", startedAt: now, attempts: t.attempts + 1, error: null, result: null, runner };
    },
  };
}

export async function completeTask(town: Town, raw: CompleteTaskInput): Promise<Task> {
  const input = parse(CompleteTaskInput, raw, "completion");
  const t = await changeTask(town, input.taskId, completeSpec(input));
  await reportRunEnd(town, t);
  return t;
}

/** The change of {@link completeTask}, on validated input. */
export function completeSpec(input: CompleteTaskInput): ChangeSpec {
  return {
    action: "complete",
    event: "task.completed",
    expectedVersion: input.expectedVersion,
    by: input.by,
    // Changes captured from this attempt before it completed now wait for review (a later capture decides otherwise).
    patch: (t, now) => ({
      state: "completed",
      completedAt: now,
      result: input.result ?? "",
      review: t.workspace?.attempt === t.attempts ? reviewAfterRun(t, now, input.by) : t.review,
    }),
  };
}

export async function failTask(town: Town, raw: FailTaskInput): Promise<Task> {
  const input = parse(FailTaskInput, raw, "failure");
  const t = await changeTask(town, input.taskId, failSpec(input));
  await reportRunEnd(town, t);
  return t;
}

/** The change of {@link failTask}, on validated input. */
export function failSpec(input: FailTaskInput): ChangeSpec {
  return {
    action: "fail",
    event: "task.failed",
    expectedVersion: input.expectedVersion,
    by: input.by,
    messages: input.messages,
    patch: (_t, now) => ({ state: "failed", completedAt: now, error: input.error }),
  };
}

/** A run was interrupted (urgent message, runner lost or stopping): back to assigned on the same agent. */
export async function requeueTask(
  town: Town,
  input: { taskId: string; reason: string; by: string; expectedVersion?: number },
): Promise<Task> {
  return changeTask(town, input.taskId, {
    action: "requeue",
    event: "task.requeued",
    // Runners requeue a run they saw: without the version, a late requeue could interrupt a newer run.
    expectedVersion: input.expectedVersion,
    by: input.by,
    patch: () => ({ state: "assigned", error: input.reason }),
    after: async (_prev, next) => enqueueRun(town, next, { resume: true }),
  });
}

/**
 * A run the provider refused (its rate limit): back to assigned on the same agent without counting the attempt, its
 * next run delayed until `until` (epoch ms). The task's error says why it waits.
 */
export async function deferTask(
  town: Town,
  input: { taskId: string; reason: string; until: number; by: string; expectedVersion?: number },
): Promise<Task> {
  return changeTask(town, input.taskId, {
    action: "requeue",
    event: "task.requeued",
    expectedVersion: input.expectedVersion,
    by: input.by,
    patch: (t) => ({ state: "assigned", error: input.reason, attempts: Math.max(0, t.attempts - 1) }),
    eventData: () => ({ until: input.until }),
    after: async (_prev, next) =>
      enqueueRun(town, next, { resume: true, delayMs: Math.max(0, input.until - Date.now()) }),
  });
}

export async function cancelTask(town: Town, raw: TaskChangeInput): Promise<Task> {
  const input = parse(TaskChangeInput, raw, "cancel");
  return changeTask(town, input.taskId, {
    action: "cancel",
    event: "task.cancelled",
    expectedVersion: input.expectedVersion,
    by: input.by,
    patch: (_t, now) => ({ state: "cancelled", completedAt: now }),
    after: async (prev) =>
      prev.assignedTo && prev.state === "assigned" ? dequeueRuns(town, prev.assignedTo, prev.id) : undefined,
  });
}

/** A failed or cancelled task goes back to the backlog, unassigned. */
export async function retryTask(town: Town, raw: TaskChangeInput): Promise<Task> {
  const input = parse(TaskChangeInput, raw, "retry");
  return changeTask(town, input.taskId, {
    action: "retry",
    event: "task.retried",
    expectedVersion: input.expectedVersion,
    by: input.by,
    patch: () => ({
      state: "pending",
      assignedTo: null,
      completedAt: null,
      startedAt: null,
      error: null,
      result: null,
    }),
  });
}

/**
 * Tells the humans' mailbox that a task ended (completed: `task_done`, failed: `task_failed`), from the agent that ran
 * it. `agentName` saves reading the agent when the caller has it.
 */
export async function reportRunEnd(town: Town, t: Task, agentName?: string): Promise<void> {
  const type = t.state === "completed" ? "task_done" : "task_failed";
  const body =
    type === "task_done" ? `completed: ${t.description.slice(0, 200)}` : `failed: ${(t.error ?? "").slice(0, 500)}`;
  const from = agentName ?? (t.assignedTo ? (await findAgent(town, t.assignedTo))?.name : undefined);
  await sendMessage(town, {
    to: "supervisor",
    from: from ?? t.updatedBy,
    type,
    priority: type === "task_failed" ? "high" : "normal",
    body,
    correlationId: t.id,
    data: { taskId: t.id, agentId: t.assignedTo, result: t.result, error: t.error, by: t.updatedBy },
  });
}

/** Loads tasks by id in one pipeline, keeping the order; ids that no longer exist are skipped. */
export async function getTasks(town: Town, ids: string[]): Promise<Task[]> {
  if (ids.length === 0) return [];
  const pipe = town.redis.pipeline();
  for (const id of ids) pipe.hgetall(town.keys.task(id));
  const rows = (await pipe.exec()) ?? [];
  return rows
    .map(([, h]) => h as Record<string, string>)
    .filter((h) => h?.id)
    .map(decodeTask);
}

export interface TaskPage {
  items: Task[];
  total: number;
}

/**
 * A page of tasks, newest first: by state (newest change first), by agent, or all. Costs the same with
 * 100 or 100,000 tasks: one ZREVRANGE on an index and one pipelined HGETALL per task on the page.
 */
export async function listTasks(town: Town, raw: ListTasksInput = {}): Promise<TaskPage> {
  const input = parse(ListTasksInput, raw, "task filter");
  const k = town.keys;
  if (input.agent) {
    const agent = await resolveAgent(town, input.agent);
    const ids = await town.redis.zrevrange(k.tasksByAgent(agent.id), 0, -1);
    let tasks = await getTasks(town, ids);
    if (input.state) tasks = tasks.filter((t) => t.state === input.state);
    return { items: tasks.slice(input.offset, input.offset + input.limit), total: tasks.length };
  }
  const key = input.state ? k.tasksByState(input.state) : k.tasks;
  const [ids, total] = await Promise.all([
    town.redis.zrevrange(key, input.offset, input.offset + input.limit - 1),
    town.redis.zcard(key),
  ]);
  return { items: await getTasks(town, ids), total };
}

/**
 * A page over several states merged, newest change first (e.g. failed + cancelled on the board). Reads the top
 * `offset + limit` of each state index, so a page costs O(offset + limit) whatever the number of tasks.
 */
export async function listTasksInStates(
  town: Town,
  states: TaskState[],
  opts: { offset?: number; limit?: number } = {},
): Promise<TaskPage> {
  const offset = opts.offset ?? 0;
  const limit = Math.min(opts.limit ?? 50, 1000);
  const pipe = town.redis.pipeline();
  for (const s of states) {
    pipe.zrevrange(town.keys.tasksByState(s), 0, offset + limit - 1, "WITHSCORES");
    pipe.zcard(town.keys.tasksByState(s));
  }
  const rows = (await pipe.exec()) ?? [];
  const scored: { id: string; score: number }[] = [];
  let total = 0;
  states.forEach((_, i) => {
    const flat = (rows[2 * i]?.[1] ?? []) as string[];
    for (let j = 0; j + 1 < flat.length; j += 2) scored.push({ id: flat[j]!, score: Number(flat[j + 1]) });
    total += Number(rows[2 * i + 1]?.[1] ?? 0);
  });
  // The order ZREVRANGE gives on one key: score descending, then member descending.
  scored.sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return {
    items: await getTasks(
      town,
      scored.slice(offset, offset + limit).map((p) => p.id),
    ),
    total,
  };
}

export async function countTasks(town: Town): Promise<Record<TaskState, number>> {
  const pipe = town.redis.pipeline();
  for (const s of TASK_STATES) pipe.zcard(town.keys.tasksByState(s));
  const rows = (await pipe.exec()) ?? [];
  return Object.fromEntries(TASK_STATES.map((s, i) => [s, Number(rows[i]?.[1] ?? 0)])) as Record<TaskState, number>;
}

/** Pending, unassigned tasks ordered by priority, then age. */
export async function listBacklog(town: Town, opts: { offset?: number; limit?: number } = {}): Promise<TaskPage> {
  const offset = opts.offset ?? 0;
  const limit = Math.min(opts.limit ?? 50, 1000);
  const [ids, total] = await Promise.all([
    town.redis.zrange(town.keys.backlog, offset, String(offset + limit - 1)),
    town.redis.zcard(town.keys.backlog),
  ]);
  return { items: await getTasks(town, ids), total };
}

/** Takes the first backlog task for an agent; null when the backlog is empty. Safe against racing claimers. */
export async function claimTask(town: Town, input: { agent: string; by: string }): Promise<Task | null> {
  for (let i = 0; i < 100; i++) {
    const [id] = await town.redis.zrange(town.keys.backlog, 0, "0");
    if (!id) return null;
    // Assign only the version we saw pending: assign is also legal from "assigned" (reassign), so without
    // the version a racing claimer would take over a task another claimer has just won.
    const seen = await findTask(town, id);
    if (!seen || seen.state !== "pending") continue;
    try {
      return await assignTask(town, {
        taskId: id,
        agent: input.agent,
        by: input.by,
        expectedVersion: seen.version,
      });
    } catch (err) {
      // Someone else claimed or cancelled it first: take the next one.
      // (An agent that takes no work is no race: that error is the caller's.)
      if (isLostRace(err) && !("agentState" in err.details)) continue;
      throw err;
    }
  }
  return null;
}
