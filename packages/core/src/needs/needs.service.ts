/**
 * The "Needs you" inbox: agents ask, people claim and answer. A question is a `need:<id>` hash written through the one
 * write path (`applyPlan`); failed tasks, merge conflicts and budget stops are read from the task indexes and get a
 * record of their own (same key scheme) once claimed, answered or dismissed. A claim is version-checked like every
 * other change, so of two people claiming at once exactly one wins and the other gets CONFLICT naming the winner.
 */
import { randomUUID } from "node:crypto";
import { findAgent } from "../agent/agent.service";
import { sendMessage } from "../channel/channel";
import { eventPlan } from "../channel/events";
import { enqueueRun } from "../dispatch/dispatch";
import { CoreError } from "../errors";
import { applyPlan, type WritePlan } from "../redis/atomic";
import { changePlan, decodeFields, mergePlans, type Codec } from "../redis/entity";
import { requestChanges } from "../task/task-review.service";
import {
  assignTask,
  changeTask,
  findTask,
  getTask,
  listTasksInStates,
  parse,
  retryTask,
  shortId,
} from "../task/task.service";
import type { Task } from "../task/task";
import type { Town } from "../town/town";
import {
  AnswerNeedInput,
  AskHumanInput,
  ClaimNeedInput,
  DismissNeedInput,
  needRank,
  type Need,
  type NeedKind,
  type NeedsPage,
} from "./need";

const CODEC: Codec = { numbers: ["createdAt", "claimedAt", "closedAt", "version"], json: ["options"] };
const NULLABLE = [
  "taskId",
  "agentId",
  "agentName",
  "mode",
  "claimedBy",
  "claimedAt",
  "answer",
  "closedBy",
  "closedAt",
] as const;
/** How many failed and completed tasks the read model looks at (newest first): the inbox is for what is recent. */
const SCAN = 200;
/** How long an answer waits in `need-answer:<id>` for an agent that blocks (`block` mode). */
const ANSWER_TTL_MS = 24 * 3600_000;

const isBudgetStop = (t: Task) => /budget/i.test(t.error ?? "");

async function readNeed(town: Town, id: string): Promise<Need | null> {
  const h = await town.redis.hgetall(town.keys.need(id));
  return h.id ? decodeFields<Need>(h, CODEC, NULLABLE) : null;
}

function blank(id: string, kind: NeedKind, title: string, t: Task | null, createdAt: number, by: string): Need {
  return {
    id,
    kind,
    title,
    options: [],
    taskId: t?.id ?? null,
    agentId: t?.assignedTo ?? null,
    agentName: null,
    createdAt,
    createdBy: by,
    mode: null,
    claimedBy: null,
    claimedAt: null,
    answer: null,
    closedBy: null,
    closedAt: null,
    version: 0,
  };
}

/** The items a task gives the inbox by its current state (none when it needs nobody). */
function taskItem(t: Task): Need | null {
  if (t.state === "failed") {
    const kind: NeedKind = isBudgetStop(t) ? "budget" : "failed";
    const title = `${kind === "budget" ? "Budget stop" : "Failed"}: ${t.description.split("\n")[0]!.slice(0, 120)}`;
    return blank(`${kind}:${t.id}:${t.attempts}`, kind, title, t, t.completedAt ?? t.updatedAt, t.updatedBy);
  }
  const c = t.review?.conflict;
  if (t.state === "completed" && t.review?.status === "waiting" && c && c.files.length > 0) {
    const title = `Merge conflict in ${c.files.slice(0, 3).join(", ")}${c.files.length > 3 ? "…" : ""}`;
    return blank(`conflict:${t.id}:${c.checkedAt}`, "conflict", title, t, c.checkedAt, t.updatedBy);
  }
  return null;
}

/** An item by id: a stored one, or one a task gives right now (with its record's claim, if any). */
export async function findNeed(town: Town, id: string): Promise<Need | null> {
  const stored = await readNeed(town, id);
  if (stored?.kind === "question" || stored?.closedAt) return stored;
  const [, taskId] = id.split(":");
  const t = taskId ? await findTask(town, taskId) : null;
  const item = t ? taskItem(t) : null;
  if (!item || item.id !== id) return stored?.closedAt ? stored : null;
  return stored ? { ...item, ...pick(stored) } : item;
}

/** Like {@link findNeed}; NOT_FOUND when the item is gone (answered elsewhere, or its task moved on). */
export async function getNeed(town: Town, id: string): Promise<Need> {
  const n = await findNeed(town, id);
  if (!n) throw new CoreError("NOT_FOUND", `nothing in the inbox is "${id}" any more: \`tt needs\` lists what is open`);
  return n;
}

const pick = (n: Need) => ({
  claimedBy: n.claimedBy,
  claimedAt: n.claimedAt,
  answer: n.answer,
  closedBy: n.closedBy,
  closedAt: n.closedAt,
  version: n.version,
});

/**
 * The open items, most urgent kind first (questions, budget stops, conflicts, failures), newest first within a kind,
 * with their count.
 */
export async function listNeeds(town: Town, opts: { limit?: number } = {}): Promise<NeedsPage> {
  const limit = Math.min(opts.limit ?? 100, 500);
  const qIds = await town.redis.zrevrange(town.keys.needsOpen, 0, 499);
  const [failed, completed] = await Promise.all([
    listTasksInStates(town, ["failed"], { limit: SCAN }),
    listTasksInStates(town, ["completed"], { limit: SCAN }),
  ]);
  const fromTasks = [...failed.items, ...completed.items].map(taskItem).filter((n): n is Need => n !== null);
  const pipe = town.redis.pipeline();
  for (const id of qIds) pipe.hgetall(town.keys.need(id));
  for (const n of fromTasks) pipe.hgetall(town.keys.need(n.id));
  const rows = ((await pipe.exec()) ?? []).map(([, h]) => h as Record<string, string>);
  const items: Need[] = [];
  qIds.forEach((_, i) => {
    const h = rows[i];
    if (h?.id) items.push(decodeFields<Need>(h, CODEC, NULLABLE));
  });
  fromTasks.forEach((n, i) => {
    const h = rows[qIds.length + i];
    const rec = h?.id ? decodeFields<Need>(h, CODEC, NULLABLE) : null;
    if (!rec) items.push(n);
    else if (!rec.closedAt) items.push({ ...n, ...pick(rec) });
  });
  const names = await agentNames(town, items);
  for (const n of items) n.agentName ??= n.agentId ? (names.get(n.agentId) ?? null) : null;
  items.sort((a, b) => needRank(a.kind) - needRank(b.kind) || b.createdAt - a.createdAt);
  return { items: items.slice(0, limit), count: items.length };
}

async function agentNames(town: Town, items: Need[]): Promise<Map<string, string>> {
  const ids = [...new Set(items.filter((n) => !n.agentName && n.agentId).map((n) => n.agentId!))];
  const agents = await Promise.all(ids.map((id) => findAgent(town, id)));
  return new Map(agents.filter((a) => a !== null).map((a) => [a.id, a.name]));
}

/**
 * An agent asks the humans, from its running task. In `end-run` mode the task is parked in the same atomic change
 * (assigned to the agent, not queued, `waitingFor` the question): the run ends and costs nothing until the answer.
 */
export async function askHuman(town: Town, raw: AskHumanInput): Promise<{ need: Need; task: Task }> {
  const input = parse(AskHumanInput, raw, "question");
  const t = await getTask(town, input.taskId);
  if (t.state !== "running" || t.assignedTo !== input.agentId)
    throw new CoreError("INVALID_STATE", `task ${shortId(t.id)} is ${t.state}: only a running task's agent can ask`, {
      state: t.state,
    });
  const agent = await findAgent(town, input.agentId);
  const now = Date.now();
  const need: Need = {
    ...blank(`q:${randomUUID()}`, "question", input.question, t, now, input.by),
    options: input.options,
    agentName: agent?.name ?? null,
    mode: input.mode,
    version: 1,
  };
  const store: WritePlan = mergePlans(changePlan(town.keys.need(need.id), null, need, CODEC), {
    expect: [],
    zadd: [{ key: town.keys.needsOpen, score: now, member: need.id }],
  });
  if (input.mode === "block") {
    const res = await applyPlan(
      town.redis,
      mergePlans(store, {
        expect: [],
        event: eventPlan(town, "need.opened", input.by, openedData(need)),
      }),
    );
    if (!res.ok) throw new CoreError("INTERNAL", `could not record the question: ${res.reason}`);
    return { need, task: t };
  }
  const task = await changeTask(town, t.id, {
    action: "park",
    event: "task.waiting",
    expectedVersion: input.expectedVersion,
    by: input.by,
    patch: () => ({ state: "assigned", waitingFor: need.id }),
    extraPlan: () => store,
    eventData: () => openedData(need),
  });
  return { need, task };
}

const openedData = (n: Need) => ({
  needId: n.id,
  kind: n.kind,
  title: n.title.slice(0, 200),
  taskId: n.taskId,
  agentId: n.agentId,
});

/** The record's write: created on the first change of an item read from a task, version-checked after. */
async function writeNeed(
  town: Town,
  prev: Need,
  next: Need,
  type: "need.claimed" | "need.closed",
  by: string,
  data: Record<string, unknown>,
): Promise<boolean> {
  const key = town.keys.need(prev.id);
  const plan = mergePlans(
    prev.version === 0
      ? changePlan(key, null, { ...next, version: 1 }, CODEC)
      : changePlan(key, prev, { ...next, version: prev.version + 1 }, CODEC),
    next.closedAt ? { expect: [], zrem: [{ key: town.keys.needsOpen, member: prev.id }] } : { expect: [] },
    { expect: [], event: eventPlan(town, type, by, { ...openedData(prev), ...data }) },
  );
  return (await applyPlan(town.redis, plan)).ok;
}

function refuseClosed(n: Need): void {
  if (n.closedAt)
    throw new CoreError(
      "INVALID_STATE",
      `"${n.title.slice(0, 60)}" was already ${n.answer ? "answered" : "closed"} by ${n.closedBy}`,
      {
        closedBy: n.closedBy,
      },
    );
}

/** Someone takes an item ("I'll take it"): visible to everyone; of two claiming at once, one wins (CONFLICT). */
export async function claimNeed(town: Town, raw: ClaimNeedInput): Promise<Need> {
  const input = parse(ClaimNeedInput, raw, "claim");
  for (let attempt = 0; attempt < 20; attempt++) {
    const n = await getNeed(town, input.id);
    refuseClosed(n);
    if (n.claimedBy === input.by) return n;
    if (n.claimedBy)
      throw new CoreError("CONFLICT", `${n.claimedBy} has already taken "${n.title.slice(0, 60)}"`, {
        claimedBy: n.claimedBy,
      });
    const next = { ...n, claimedBy: input.by, claimedAt: Date.now() };
    if (await writeNeed(town, n, next, "need.claimed", input.by, { claimedBy: input.by }))
      return { ...next, version: n.version + 1 };
  }
  throw new CoreError("CONFLICT", `"${input.id}" is changing too fast; try again`);
}

/** Gives a claimed item back (only its claimer). */
export async function releaseNeed(town: Town, raw: ClaimNeedInput): Promise<Need> {
  const input = parse(ClaimNeedInput, raw, "release");
  const n = await getNeed(town, input.id);
  refuseClosed(n);
  if (n.claimedBy !== input.by)
    throw new CoreError("FORBIDDEN", `only ${n.claimedBy ?? "its claimer"} can release "${n.title.slice(0, 60)}"`);
  const next = { ...n, claimedBy: null, claimedAt: null };
  if (!(await writeNeed(town, n, next, "need.claimed", input.by, { claimedBy: null })))
    throw new CoreError("CONFLICT", "the item changed meanwhile: reload and try again");
  return { ...next, version: n.version + 1 };
}

/** Closes an item without an answer (the failure is understood, the conflict handled elsewhere). */
export async function dismissNeed(town: Town, raw: DismissNeedInput): Promise<Need> {
  const input = parse(DismissNeedInput, raw, "dismissal");
  return close(town, input.id, input.by, null);
}

/**
 * Answers an item; it closes for everyone and the answer goes to the agent: a question's parked task is queued again
 * at the front with the answer in its next prompt (or the blocked agent gets it at once); a failed task or budget
 * stop is retried on the same agent with the answer as a message; a conflict becomes a change request.
 */
export async function answerNeed(town: Town, raw: AnswerNeedInput): Promise<Need> {
  const input = parse(AnswerNeedInput, raw, "answer");
  return close(town, input.id, input.by, input.answer);
}

async function close(town: Town, id: string, by: string, answer: string | null): Promise<Need> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const n = await getNeed(town, id);
    refuseClosed(n);
    if (n.claimedBy && n.claimedBy !== by)
      throw new CoreError("CONFLICT", `${n.claimedBy} has taken "${n.title.slice(0, 60)}": leave it to them`, {
        claimedBy: n.claimedBy,
      });
    const next: Need = { ...n, answer, closedBy: by, closedAt: Date.now(), version: Math.max(n.version, 0) + 1 };
    const data = { answered: answer !== null };
    const parked = n.kind === "question" && n.mode === "end-run" && n.taskId ? await findTask(town, n.taskId) : null;
    if (parked?.state === "assigned" && parked.waitingFor === n.id) {
      // The close and the task's release are one change: the answer cannot be lost between them.
      const task = await unpark(town, parked, n, next, by).catch((err: unknown) => {
        if (err instanceof CoreError && (err.code === "CONFLICT" || err.code === "INVALID_STATE")) return null;
        throw err;
      });
      if (!task) continue;
      if (answer !== null) await tellAgent(town, n, answer, by);
      await enqueueRun(town, task, { resume: true });
      return next;
    }
    if (!(await writeNeed(town, n, next, "need.closed", by, data))) continue;
    if (answer !== null) await deliverAnswer(town, n, answer, by);
    return next;
  }
  throw new CoreError("CONFLICT", `"${id}" is changing too fast; try again`);
}

async function unpark(town: Town, t: Task, n: Need, next: Need, by: string): Promise<Task> {
  return changeTask(town, t.id, {
    action: "unpark",
    event: "need.closed",
    expectedVersion: t.version,
    by,
    patch: () => ({ waitingFor: null }),
    extraPlan: () =>
      mergePlans(changePlan(town.keys.need(n.id), n, next, CODEC), {
        expect: [],
        zrem: [{ key: town.keys.needsOpen, member: n.id }],
      }),
    eventData: () => ({ ...openedData(n), answered: next.answer !== null }),
  });
}

/** The answer as a message in the agent's inbox: first in its next prompt (high priority), tied to the question. */
async function tellAgent(town: Town, n: Need, answer: string, by: string): Promise<void> {
  if (!n.agentId) return;
  const agent = await findAgent(town, n.agentId);
  if (!agent) return;
  const body =
    n.kind === "question"
      ? `Answer from ${by} to your question "${n.title}":\n${answer}`
      : `${by} looked at "${n.title}" and says:\n${answer}`;
  await sendMessage(town, {
    to: agent.id,
    from: by,
    type: "info",
    priority: "high",
    body,
    correlationId: n.id,
    data: { needId: n.id, kind: n.kind, question: n.title, answer, taskId: n.taskId },
  });
}

async function deliverAnswer(town: Town, n: Need, answer: string, by: string): Promise<void> {
  if (n.kind === "question") {
    if (n.mode === "block") {
      const key = town.keys.needAnswer(n.id);
      await town.redis.multi().rpush(key, JSON.stringify({ answer, by })).pexpire(key, ANSWER_TTL_MS).exec();
      return;
    }
    await tellAgent(town, n, answer, by);
    return;
  }
  const t = n.taskId ? await findTask(town, n.taskId) : null;
  if (!t) return;
  if (n.kind === "conflict") {
    await requestChanges(town, { taskId: t.id, expectedVersion: t.version, comments: [{ text: answer }], by });
    return;
  }
  await tellAgent(town, n, answer, by);
  const retried = await retryTask(town, { taskId: t.id, expectedVersion: t.version, by });
  if (t.assignedTo) await assignTask(town, { taskId: retried.id, agent: t.assignedTo, by }).catch(() => undefined);
}

/**
 * For an agent blocking on its question (`block` mode): waits up to `timeoutMs` for the answer, in finite slices on
 * `connection` (a blocking connection of the caller's). Null on timeout: the question stays open.
 */
export async function waitForAnswer(
  town: Town,
  id: string,
  timeoutMs: number,
  connection: Town["redis"],
  signal?: AbortSignal,
): Promise<{ answer: string; by: string } | null> {
  const deadline = Date.now() + timeoutMs;
  while (!signal?.aborted) {
    const left = deadline - Date.now();
    if (left <= 0) return null;
    const r = await connection.blpop(town.keys.needAnswer(id), Math.min(5, Math.max(left / 1000, 0.01)));
    if (r) return JSON.parse(r[1]) as { answer: string; by: string };
  }
  return null;
}
