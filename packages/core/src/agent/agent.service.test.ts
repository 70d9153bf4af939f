import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { testTown } from "../testing";
import {
  dumpTown,
  expectAgentIndexesConsistent,
  expectCoreError,
  expectRefusedUnchanged,
  expectTaskIndexesConsistent,
} from "../testing/inspect";
import { inboxLength, peek, sendMessage } from "../channel/channel";
import { lastEventId, readEvents } from "../channel/events";
import { agentQueue } from "../dispatch/dispatch";
import { completeTask, createTask, getTask, listBacklog, startTask } from "../task/task.service";
import type { Town } from "../town/town";
import { AGENT_STATES, type Agent, type AgentState } from "./agent";
import {
  changeAgent,
  countAgents,
  findAgent,
  heartbeatAgent,
  listAgents,
  pruneAgents,
  resolveAgent,
  spawnAgent,
} from "./agent.service";
import { closeAgent, failAgent, interruptAgent, killAgent, restartAgent, resumeAgent, stopAgent } from "./lifecycle";

let town: Town;
beforeAll(async () => {
  town = await testTown({}, "agent");
});
afterAll(() => town.close());

let seq = 0;
const freshName = (p = "a") => `${p}-${++seq}`;

describe("spawn", () => {
  test("creates a starting agent with version 1, indexes and one agent.spawned event", async () => {
    const from = await lastEventId(town);
    const a = await spawnAgent(town, { name: "  Worker-One ", model: "claude", by: "ana" });
    expect(a).toMatchObject({
      name: "worker-one",
      model: "claude",
      state: "starting",
      version: 1,
      currentTask: null,
      runner: null,
      createdBy: "ana",
    });
    expect(await resolveAgent(town, a.id)).toEqual(a);
    const events = await readEvents(town, { after: from });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "agent.spawned",
      agentId: a.id,
      name: "worker-one",
      to: "starting",
      by: "ana",
    });
    await expectAgentIndexesConsistent(town);
  });

  test.each([
    ["", "1-64 characters"],
    ["-lead", "starting with a letter"],
    [".hidden", "starting with a letter"],
    ["two words", "a-z"],
    ["slash/name", "a-z"],
    ["colon:name", "a-z"],
    ["ünïcode", "a-z"],
    ["x".repeat(65), "1-64"],
    ["supervisor", "reserved"],
    ["Conductor", "reserved"],
    [" SUPERVISOR ", "reserved"],
  ])("name %j → VALIDATION, nothing written", async (name, hint) => {
    const err = await expectRefusedUnchanged(
      town,
      () => spawnAgent(town, { name, model: "claude", by: "cli" }),
      "VALIDATION",
    );
    expect(err.message).toContain("name");
    expect(err.message).toContain(hint);
  });

  test("64 characters is the longest name", async () => {
    const name = `n${"x".repeat(63)}`;
    expect((await spawnAgent(town, { name, model: "claude", by: "cli" })).name).toBe(name);
  });

  test("a name is unique case-insensitively: ALREADY_EXISTS, nothing written", async () => {
    await spawnAgent(town, { name: "dup", model: "claude", by: "cli" });
    for (const name of ["dup", "DUP", " Dup "]) {
      const err = await expectRefusedUnchanged(
        town,
        () => spawnAgent(town, { name, model: "codex", by: "cli" }),
        "ALREADY_EXISTS",
      );
      expect(err.message).toContain("dup");
    }
  });

  test("20 concurrent spawns of one name: exactly one agent exists", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        spawnAgent(town, { name: i % 2 ? "Twin" : "twin", model: "claude", by: "cli" }),
      ),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    expect(ok).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect((r.reason as { code: string }).code).toBe("ALREADY_EXISTS");
    expect((await listAgents(town)).filter((a) => a.name === "twin")).toHaveLength(1);
    await expectAgentIndexesConsistent(town);
  });

  test("an unknown model → VALIDATION listing the models, nothing written", async () => {
    const err = await expectRefusedUnchanged(
      town,
      () => spawnAgent(town, { name: "nomodel", model: "gpt-17", by: "cli" }),
      "VALIDATION",
    );
    expect(err.message).toContain('unknown model "gpt-17"');
    for (const m of ["claude", "codex", "auggie", "aider", "gemini", "copilot", "cursor", "sim"])
      expect(err.message).toContain(m);
    expect(err.details.models).toContain("claude");
    expect(await findAgent(town, "nomodel")).toBeNull();
  });

  test("a custom model from the town config is accepted and listed; unknown elsewhere", async () => {
    const custom = await testTown({ models: { fixture: { command: "node", args: ["fixture.js"] } } }, "custom");
    try {
      expect((await spawnAgent(custom, { name: "fx", model: "fixture", by: "cli" })).model).toBe("fixture");
      const err = await expectCoreError(
        () => spawnAgent(custom, { name: "fy", model: "nope", by: "cli" }),
        "VALIDATION",
      );
      expect(err.message).toContain("fixture");
    } finally {
      await custom.close();
    }
    await expectRefusedUnchanged(
      town,
      () => spawnAgent(town, { name: "fx", model: "fixture", by: "cli" }),
      "VALIDATION",
    );
  });
});

describe("resolve", () => {
  test("by name (any case), full id, id prefix; unknown → NOT_FOUND / null", async () => {
    const a = await spawnAgent(town, { name: "resolver", model: "claude", by: "cli" });
    expect((await resolveAgent(town, "RESOLVER")).id).toBe(a.id);
    expect((await resolveAgent(town, " resolver ")).id).toBe(a.id);
    expect((await resolveAgent(town, a.id)).id).toBe(a.id);
    expect((await resolveAgent(town, a.id.slice(0, 8))).id).toBe(a.id);
    expect((await resolveAgent(town, a.id.slice(0, 8).toUpperCase())).id).toBe(a.id);
    expect(await findAgent(town, "nobody-here")).toBeNull();
    const err = await expectCoreError(() => resolveAgent(town, "nobody-here"), "NOT_FOUND");
    expect(err.message).toContain("nobody-here");
  });

  test("an ambiguous id prefix → AMBIGUOUS listing the candidates", async () => {
    const own = await testTown({}, "amb");
    try {
      const agents: Agent[] = [];
      for (let i = 0; i < 17; i++)
        agents.push(await spawnAgent(own, { name: `cand-${i}`, model: "claude", by: "cli" }));
      const first = new Map<string, Agent[]>();
      for (const a of agents) first.set(a.id[0]!, [...(first.get(a.id[0]!) ?? []), a]);
      const [prefix, shared] = [...first.entries()].find(([, xs]) => xs.length > 1)!;
      const err = await expectCoreError(() => resolveAgent(own, prefix), "AMBIGUOUS");
      for (const a of shared.slice(0, 10)) expect(err.message).toContain(a.name);
      expect((err.details.candidates as { name: string }[]).map((c) => c.name).sort()).toEqual(
        shared
          .slice(0, 10)
          .map((a) => a.name)
          .sort(),
      );
    } finally {
      await own.close();
    }
  });
});

// ── state machine ────────────────────────────────────────────────────────────

const RUNNER = "runner:test";
const ready = (id: string) =>
  changeAgent(town, id, {
    action: "ready",
    by: RUNNER,
    patch: () => ({ state: "idle", runner: "r1", lastHeartbeat: Date.now() }),
  });
const work = (id: string) =>
  changeAgent(town, id, { action: "work", by: RUNNER, patch: () => ({ state: "working", currentTask: "some-task" }) });

async function agentIn(state: AgentState): Promise<Agent> {
  const a = await spawnAgent(town, { name: freshName(state), model: "claude", by: "cli" });
  switch (state) {
    case "starting":
      return a;
    case "idle":
      return ready(a.id);
    case "working":
      return work((await ready(a.id)).id);
    case "paused":
      return interruptAgent(town, a.id, "cli");
    case "draining":
      return closeAgent(town, (await work((await ready(a.id)).id)).id, "cli");
    case "stopped":
      return killAgent(town, a.id, "cli");
    case "error":
      return failAgent(town, a.id, "claude: command not found", "cli");
  }
}

/** What ARCHITECTURE.md ("Lifecycles") allows (written out, not imported), and where each action leads from there. */
const LEGAL: Record<string, Partial<Record<AgentState, AgentState>>> = {
  interrupt: { starting: "paused", idle: "paused", working: "paused" },
  resume: { paused: "starting" },
  close: { starting: "stopped", idle: "stopped", working: "draining", paused: "stopped" },
  kill: {
    starting: "stopped",
    idle: "stopped",
    working: "stopped",
    paused: "stopped",
    draining: "stopped",
    error: "stopped",
  },
  fail: { starting: "error", idle: "error", working: "error", paused: "error", draining: "error" },
  restart: { stopped: "starting", error: "starting" },
};
const ACT: Record<string, (a: Agent) => Promise<Agent>> = {
  interrupt: (a) => interruptAgent(town, a.name, "cli"),
  resume: (a) => resumeAgent(town, a.name, "cli"),
  close: (a) => closeAgent(town, a.name, "cli"),
  kill: (a) => killAgent(town, a.name, "cli"),
  fail: (a) => failAgent(town, a.name, "cli missing", "cli"),
  restart: (a) => restartAgent(town, a.name, "cli"),
};
const PAIRS = Object.keys(LEGAL).flatMap((action) => AGENT_STATES.map((s) => [action, s] as const));

describe("agent transitions", () => {
  test.each(PAIRS)("%s from %s", async (action, state) => {
    const a = await agentIn(state);
    expect(a.state).toBe(state);
    const to = LEGAL[action]![state];
    if (!to) {
      const err = await expectRefusedUnchanged(town, () => ACT[action]!(a), "INVALID_STATE");
      expect(err.message).toContain(`it is ${state}`);
      expect(err.details).toMatchObject({ state, version: a.version });
      return;
    }
    const from = await lastEventId(town);
    const b = await ACT[action]!(a);
    expect(b.state).toBe(to);
    expect(b.version).toBe(a.version + 1);
    expect(await resolveAgent(town, a.id)).toEqual(b);
    const events = await readEvents(town, { after: from });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "agent.state",
      agentId: a.id,
      from: state,
      to,
      action,
      version: b.version,
    });
    if (to === "stopped" || to === "error") expect(b.currentTask).toBeNull();
    if (to === "error") expect(b.error).toBe("cli missing");
    if (action === "restart") expect(b).toMatchObject({ error: null, runner: null, currentTask: null });
    await expectAgentIndexesConsistent(town);
  });

  test("resume returns to what the agent was doing", async () => {
    expect(
      (await resumeAgent(town, (await interruptAgent(town, (await agentIn("idle")).id, "cli")).id, "cli")).state,
    ).toBe("idle");
    expect(
      (await resumeAgent(town, (await interruptAgent(town, (await agentIn("working")).id, "cli")).id, "cli")).state,
    ).toBe("working");
    expect(
      (await resumeAgent(town, (await interruptAgent(town, (await agentIn("starting")).id, "cli")).id, "cli")).state,
    ).toBe("starting");
  });

  test("a stale expectedVersion → CONFLICT, nothing changed", async () => {
    const a = await agentIn("idle");
    await expectRefusedUnchanged(
      town,
      () =>
        changeAgent(town, a.id, {
          action: "interrupt",
          by: "x",
          expectedVersion: a.version - 1,
          patch: () => ({ state: "paused" }),
        }),
      "CONFLICT",
    );
  });

  test("heartbeat records liveness without a version bump or an event", async () => {
    const a = await agentIn("idle");
    const from = await lastEventId(town);
    await heartbeatAgent(town, a.id, 1234);
    expect(await resolveAgent(town, a.id)).toMatchObject({ lastHeartbeat: 1234, version: a.version });
    expect(await readEvents(town, { after: from })).toEqual([]);
  });

  test("countAgents agrees with listAgents", async () => {
    const agents = await listAgents(town);
    const counts = await countAgents(town);
    for (const s of AGENT_STATES) {
      expect(counts[s]).toBe(agents.filter((a) => a.state === s).length);
      expect((await listAgents(town, { state: s })).map((a) => a.id).sort()).toEqual(
        agents
          .filter((a) => a.state === s)
          .map((a) => a.id)
          .sort(),
      );
    }
  });
});

describe("stopAgent and pruneAgents", () => {
  async function agentWithWork() {
    const a = await agentIn("idle");
    const assigned = await createTask(town, { description: "queued work", assignTo: a.id, by: "cli" });
    const r = await createTask(town, { description: "running work", assignTo: a.id, by: "cli" });
    const running = await startTask(town, { taskId: r.id, agentId: a.id, by: RUNNER });
    const d = await createTask(town, { description: "finished work", assignTo: a.id, by: "cli" });
    await startTask(town, { taskId: d.id, agentId: a.id, by: RUNNER });
    const done = await completeTask(town, { taskId: d.id, result: "ok", by: "cli" });
    const other = await createTask(town, {
      description: "someone else's",
      assignTo: (await agentIn("idle")).id,
      by: "cli",
    });
    return { a, assigned, running, done, other };
  }

  test("default: the agent stops and its unfinished tasks go back to the backlog, unassigned", async () => {
    const { a, assigned, running, done, other } = await agentWithWork();
    const res = await stopAgent(town, a.name, { by: "cli" });
    expect(res.agent.state).toBe("stopped");
    expect(res.tasks.map((t) => t.id).sort()).toEqual([assigned.id, running.id].sort());
    for (const id of [assigned.id, running.id])
      expect(await getTask(town, id)).toMatchObject({ state: "pending", assignedTo: null });
    expect((await listBacklog(town, { limit: 1000 })).items.map((t) => t.id)).toEqual(
      expect.arrayContaining([assigned.id, running.id]),
    );
    expect(await getTask(town, done.id)).toEqual(done);
    expect(await getTask(town, other.id)).toEqual(other);
    // No run of these tasks is left waiting on the stopped agent's queue (including the requeue's resume run).
    // (No runner runs in this test, so the finished task's own job is still there; it is not ours to check.)
    const jobs = await agentQueue(town, a.id).getJobs(["waiting", "prioritized", "delayed"], 0, 1000);
    expect(jobs.filter((j) => j.data.taskId === assigned.id || j.data.taskId === running.id)).toEqual([]);
    await expectTaskIndexesConsistent(town);
    await expectAgentIndexesConsistent(town);
  });

  test("tasks: cancel cancels its unfinished tasks", async () => {
    const { a, assigned, running, done, other } = await agentWithWork();
    const res = await stopAgent(town, a.id, { tasks: "cancel", by: "cli" });
    expect(res.tasks.map((t) => t.id).sort()).toEqual([assigned.id, running.id].sort());
    for (const id of [assigned.id, running.id]) expect(await getTask(town, id)).toMatchObject({ state: "cancelled" });
    expect(await getTask(town, done.id)).toEqual(done);
    expect(await getTask(town, other.id)).toEqual(other);
    await expectTaskIndexesConsistent(town);
  });

  test("a stopped agent cannot be stopped again; nothing changes", async () => {
    const a = await agentIn("stopped");
    await expectRefusedUnchanged(town, () => stopAgent(town, a.id, { by: "cli" }), "INVALID_STATE");
  });

  test("pruneAgents removes stopped agents; their unread messages go to supervisor; error ones only with includeErrors", async () => {
    const own = await testTown({}, "prune");
    try {
      const s = await spawnAgent(own, { name: "gone", model: "claude", by: "cli" });
      const e = await spawnAgent(own, { name: "broken", model: "claude", by: "cli" });
      const live = await spawnAgent(own, { name: "live", model: "claude", by: "cli" });
      const t = await createTask(own, { description: "history", assignTo: "gone", by: "cli" });
      await sendMessage(own, {
        to: "supervisor",
        body: "earlier, for the humans",
        priority: "low",
        from: "supervisor",
      });
      const hello = await sendMessage(own, { to: "gone", body: "hello", from: "supervisor" });
      const urgent = await sendMessage(own, { to: "gone", body: "read me", priority: "urgent", from: "supervisor" });
      await stopAgent(own, "gone", { by: "cli" });
      await failAgent(own, "broken", "missing cli", "cli");
      expect(await inboxLength(own, s.id)).toBe(2);

      const from = await lastEventId(own);
      const removed = await pruneAgents(own, { by: "ana" });
      expect(removed.map((a) => [a.id, a.movedMessages])).toEqual([[s.id, 2]]);
      // Nothing unread is deleted: in the supervisor mailbox, by priority then send order, marked with the agent.
      const forwarded = { forwardedFrom: { agentId: s.id, name: "gone" } };
      expect((await peek(own, "supervisor")).map((m) => [m.body, m.data])).toEqual([
        [urgent.body, forwarded],
        [hello.body, forwarded],
        ["earlier, for the humans", null],
      ]);
      expect(await findAgent(own, "gone")).toBeNull();
      expect(await findAgent(own, s.id)).toBeNull();
      expect(await own.redis.exists(own.keys.agent(s.id), own.keys.inbox(s.id))).toBe(0);
      expect((await readEvents(own, { after: from })).map((ev) => [ev.type, ev.agentId, ev.by])).toEqual([
        ["agent.removed", s.id, "ana"],
      ]);
      expect((await readEvents(own, { after: from }))[0]?.unreadMessages).toBe(2);
      expect((await getTask(own, t.id)).id).toBe(t.id);
      await expectAgentIndexesConsistent(own);
      // The name is free again.
      await spawnAgent(own, { name: "GONE", model: "claude", by: "cli" });

      expect((await pruneAgents(own, { includeErrors: true, by: "cli" })).map((a) => a.id)).toEqual([e.id]);
      expect((await listAgents(own)).map((a) => a.name).sort()).toEqual(["gone", "live"]);
      expect((await resolveAgent(own, "live")).id).toBe(live.id);
      await expectAgentIndexesConsistent(own);

      const before = await dumpTown(own);
      expect(await pruneAgents(own, { includeErrors: true, by: "cli" })).toEqual([]);
      expect(await dumpTown(own)).toEqual(before);
    } finally {
      await own.close();
    }
  });
});
