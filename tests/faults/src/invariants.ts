/**
 * The one invariant checker every scenario ends with:
 * 1. each task is in exactly one state index, and the indexes agree with the hashes (tasks and agents);
 * 2. no task is `running` without a live agent process (the run record's pid, whose environment names the task);
 * 3. nothing acknowledged is lost: every task the scenario got back from a create exists, in an expected state;
 *    every acknowledged message is still in its mailbox, in send order;
 * 4. re-runs happen only after a crash and are recorded: the agent starts the fixtures recorded for a task never
 *    exceed its `attempts`; every attempt beyond the first follows a recorded requeue (history), and without an
 *    injected crash no task has a second attempt;
 * 5. no orphan processes: every pid the fixtures recorded (agents and their children) is gone.
 */
import { expect } from "vitest";
import { getTask, peek, taskHistory, TASK_STATES, type Task } from "@tinytown/core";
import { expectAgentIndexesConsistent, expectTaskIndexesConsistent } from "@tinytown/core/testing";
import { isAgentProcessOf, pidAlive, waitFor, type Harness } from "./harness";

export interface InvariantOptions {
  /** Crashes the scenario injected (runner or Redis kills); 0 means no task may have run twice. */
  crashes: number;
  /** How long agent processes may take to be gone (a killed runner's orphans are killed by its successor). */
  orphanWaitMs?: number;
}

export interface Figures {
  tasks: number;
  messages: number;
  /** Agent processes the fixtures recorded starting. */
  runs: number;
  /** Attempts beyond the first, summed over all tasks (each one recorded). */
  reruns: number;
  losses: number;
  orphans: number;
}

interface RunRecord {
  pid: number;
  taskId: string;
}

export async function checkInvariants(h: Harness, opts: InvariantOptions): Promise<Figures> {
  const { town, ledger } = h;
  const r = town.redis;
  const k = town.keys;

  // 1. Indexes.
  const tasks = await expectTaskIndexesConsistent(town);
  await expectAgentIndexesConsistent(town);
  const pipe = r.pipeline();
  for (const t of tasks) for (const s of TASK_STATES) pipe.zscore(k.tasksByState(s), t.id);
  const scores = (await pipe.exec())!.map(([err, v]) => (err ? null : v));
  tasks.forEach((t, i) => {
    const inStates = TASK_STATES.filter((_, j) => scores[i * TASK_STATES.length + j] !== null);
    expect(inStates, `task ${t.id} is in exactly one state index`).toEqual([t.state]);
  });

  // 2. Running means a live process.
  for (const t of tasks.filter((t) => t.state === "running")) {
    const alive = await waitFor(
      `a live process for running task ${t.id}`,
      async () => {
        const now = await getTask(town, t.id);
        if (now.state !== "running") return true;
        const raw = await r.hget(k.agentControl(now.assignedTo!), "run");
        const rec = raw ? (JSON.parse(raw) as RunRecord) : null;
        return rec?.taskId === t.id && isAgentProcessOf(rec.pid, t.id);
      },
      3_000,
    ).catch(() => false);
    expect(alive, `running task ${t.id} has a live agent process`).toBe(true);
  }

  // 3. Nothing acknowledged is lost.
  const byId = new Map(tasks.map((t) => [t.id, t]));
  let losses = 0;
  const wrong: string[] = [];
  for (const lt of ledger.tasks.values()) {
    const t = byId.get(lt.id);
    if (!t) {
      losses++;
      wrong.push(`${lt.id}: missing`);
    } else if (!lt.expect.includes(t.state))
      wrong.push(`${lt.id}: ${t.state} (expected ${lt.expect.join("|")}; error ${t.error ?? "-"})`);
  }
  let messages = 0;
  for (const [mailbox, ids] of ledger.messages) {
    const inbox = (await peek(town, mailbox, ids.length + 1000)).map((m) => m.id);
    const kept = inbox.filter((id) => ids.includes(id));
    const missing = ids.filter((id) => !inbox.includes(id));
    losses += missing.length;
    messages += ids.length;
    if (missing.length) wrong.push(`mailbox ${mailbox}: ${missing.length} acknowledged messages missing`);
    expect(kept, `mailbox ${mailbox} keeps its messages in send order`).toEqual(ids.filter((id) => inbox.includes(id)));
  }
  expect(wrong, "every acknowledged task and message is there, in an expected state").toEqual([]);
  expect(losses).toBe(0);

  // 4. Re-runs only after a crash, and recorded.
  const evidence = h.evidence();
  const starts = new Map<string, number>();
  for (const e of evidence) if (e.event === "start") starts.set(e.task, (starts.get(e.task) ?? 0) + 1);
  let reruns = 0;
  for (const lt of ledger.tasks.values()) {
    const t = byId.get(lt.id)!;
    const ran = starts.get(t.id) ?? 0;
    expect(ran, `task ${t.id}: agent starts (${ran}) ≤ recorded attempts (${t.attempts})`).toBeLessThanOrEqual(
      t.attempts,
    );
    if (t.attempts > 1) {
      reruns += t.attempts - 1;
      if (!lt.crashes)
        expect(opts.crashes, `task ${t.id} ran ${t.attempts} times without an injected crash`).toBeGreaterThan(0);
      const history = await taskHistory(town, t.id);
      const started = history.filter((e) => e.type === "task.started").length;
      const requeued = history.filter((e) => e.type === "task.requeued").length;
      // (History is capped at 200 entries: far beyond what a scenario produces.)
      expect(started, `task ${t.id}: every attempt is a recorded start`).toBe(t.attempts);
      if (!lt.crashes)
        expect(requeued, `task ${t.id}: every re-run follows a recorded requeue`).toBeGreaterThanOrEqual(
          t.attempts - 1,
        );
    }
  }

  // 5. No orphans.
  const pids = new Set<number>();
  for (const e of evidence) {
    pids.add(e.pid);
    if (e.child) pids.add(e.child);
  }
  const orphanWait = opts.orphanWaitMs ?? 10_000;
  const runningPids = new Set(
    (
      await Promise.all(
        tasks.filter((t) => t.state === "running").map(async (t) => r.hget(k.agentControl(t.assignedTo!), "run")),
      )
    )
      .filter((x): x is string => !!x)
      .map((x) => (JSON.parse(x) as RunRecord).pid),
  );
  const orphans = await waitFor(
    "no orphan processes",
    () => {
      const left = [...pids].filter((p) => !runningPids.has(p) && pidAlive(p));
      return left.length === 0 ? [] : null;
    },
    orphanWait,
  ).catch(() => [...pids].filter((p) => !runningPids.has(p) && pidAlive(p)));
  expect(orphans, "no orphan agent processes").toEqual([]);
  for (const pid of h.runnerPids)
    if (![...h.runners.values()].some((rp) => rp.child.pid === pid))
      expect(pidAlive(pid), `stopped runner ${pid} is gone`).toBe(false);

  return {
    tasks: ledger.tasks.size,
    messages,
    runs: evidence.filter((e) => e.event === "start").length,
    reruns,
    losses,
    orphans: orphans.length,
  };
}

export type { Task };
