import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { completeTask, connectTown, failAgent, requeueTask, startTask, type Town } from "@tinytown/core";
import { tt, townDir } from "./testing";

let dir: string;
let town: Town;

beforeAll(async () => {
  ({ dir } = await townDir());
  town = await connectTown({ cwd: dir, env: {} });
});
afterAll(() => town.close());

/** Everything a failed command might have written: keys of the town and the event stream. */
async function footprint() {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await town.redis.scan(cursor, "MATCH", `${town.keys.prefix}*`, "COUNT", 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return { keys: keys.sort(), events: await town.redis.xlen(town.keys.events) };
}

describe("bad input: clear message, non-zero exit, nothing written", () => {
  beforeAll(async () => {
    expect((await tt(dir, ["spawn", "worker-1", "--model", "claude"])).code).toBe(0);
  });

  const cases: [string, string[], number, RegExp][] = [
    ["empty task text", ["assign", "worker-1", ""], 2, /task text is empty/],
    ["task text over 64 KiB", ["assign", "worker-1", "x".repeat(64 * 1024 + 1)], 2, /65537 bytes; the limit is 65536/],
    ["invalid agent name", ["spawn", "Bad Name!", "--model", "claude"], 2, /agent name is 1-64 characters/],
    ["reserved agent name", ["spawn", "supervisor", "--model", "claude"], 2, /reserved/],
    ["duplicate agent name, other case", ["spawn", "WORKER-1", "--model", "claude"], 4, /already exists/],
    ["unknown agent", ["assign", "nobody", "do it"], 3, /no agent "nobody"/],
    [
      "unknown model",
      ["spawn", "w2", "--model", "gpt-17"],
      2,
      /unknown model "gpt-17": use one of aider, auggie, claude/,
    ],
    ["unknown state filter", ["tasks", "--state", "done"], 2, /unknown task state "done": use one of pending/],
    ["unknown priority", ["assign", "worker-1", "x", "--priority", "asap"], 2, /unknown priority "asap"/],
    ["two priorities", ["send", "worker-1", "hi", "--urgent", "--low"], 2, /choose one of/],
    ["unknown task", ["task", "show", "ffffffff"], 3, /no task "ffffffff"/],
    ["unknown option", ["tasks", "--colour"], 2, /unknown option/],
  ];
  for (const [what, args, code, message] of cases) {
    test(what, async () => {
      const before = await footprint();
      const r = await tt(dir, args);
      expect(r.code).toBe(code);
      expect(r.err).toMatch(message);
      expect(await footprint()).toEqual(before);
    });
  }

  test("a directory that is not a town", async () => {
    const r = await tt("/", ["status"]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/is not in a town .*tt init/);
  });
});

describe("commands", () => {
  test("agents are addressed by name, id or unique prefix; an ambiguous prefix lists the candidates", async () => {
    const spawned = [];
    for (const name of ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"]) {
      spawned.push(
        JSON.parse((await tt(dir, ["--json", "spawn", name, "--model", "sim"])).out) as { id: string; name: string },
      );
    }
    const a = spawned[0]!;
    expect((await tt(dir, ["--json", "assign", a.id, "by id"])).code).toBe(0);
    expect((await tt(dir, ["--json", "assign", a.id.slice(0, 6), "by prefix"])).code).toBe(0);
    expect((await tt(dir, ["--json", "assign", "ALPHA", "by name"])).code).toBe(0);
    const tasks = JSON.parse((await tt(dir, ["--json", "tasks", "--agent", "alpha"])).out) as {
      items: { description: string }[];
    };
    expect(tasks.items.map((t) => t.description).sort()).toEqual(["by id", "by name", "by prefix"]);
    // 8 uuids share a first hex digit often enough; find a prefix that really is shared.
    const byFirst = new Map<string, string[]>();
    for (const s of spawned) byFirst.set(s.id[0]!, [...(byFirst.get(s.id[0]!) ?? []), s.name]);
    const shared = [...byFirst.entries()].find(([, names]) => names.length > 1);
    if (shared) {
      const r = await tt(dir, ["assign", shared[0], "who?"]);
      expect(r.code).toBe(2);
      for (const n of shared[1]) expect(r.err).toContain(n);
    }
  });

  test("tasks, backlog and task commands", async () => {
    await tt(dir, ["backlog", "add", "low one", "--priority", "low"]);
    await tt(dir, ["backlog", "add", "urgent one", "--priority", "urgent"]);
    const backlog = JSON.parse((await tt(dir, ["--json", "backlog", "list"])).out) as {
      items: { description: string }[];
    };
    expect(backlog.items.map((t) => t.description).slice(0, 2)).toEqual(["urgent one", "low one"]);
    const claimed = JSON.parse((await tt(dir, ["--json", "backlog", "claim", "beta"])).out) as {
      id: string;
      description: string;
      state: string;
    };
    expect(claimed).toMatchObject({ description: "urgent one", state: "assigned" });
    const cancelled = await tt(dir, ["task", "cancel", claimed.id.slice(0, 8)]);
    expect(cancelled.out).toMatch(/cancelled task .*: cancelled/);
    expect((await tt(dir, ["task", "cancel", claimed.id])).err).toMatch(/cannot cancel task .*: it is cancelled/);
    const retried = JSON.parse((await tt(dir, ["--json", "task", "retry", claimed.id])).out) as { state: string };
    expect(retried.state).toBe("pending");
    const stale = await tt(dir, ["task", "cancel", claimed.id, "--expect-version", "1"]);
    expect(stale.code).toBe(4);
    expect(stale.err).toMatch(/changed since you saw it/);
    const shown = await tt(dir, ["task", "show", claimed.id]);
    expect(shown.out).toMatch(/State\s+pending/);
  });

  test("messages: urgent first, supervisor mailbox, control characters shown, not obeyed", async () => {
    await tt(dir, ["send", "gamma", "first normal"]);
    await tt(dir, ["send", "gamma", "--low", "a low one"]);
    await tt(dir, ["send", "gamma", "--urgent", "\u001b[2Jurgent!"]);
    const inbox = await tt(dir, ["inbox", "gamma"]);
    const lines = inbox.out.trim().split("\n").slice(1);
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(["urgent", "normal", "low"]);
    expect(inbox.out).not.toContain("\u001b");
    expect(inbox.out).toContain("␛[2Jurgent!");
    await tt(dir, ["send", "conductor", "hello humans"]);
    expect((await tt(dir, ["inbox", "supervisor"])).out).toContain("hello humans");
    const taken = JSON.parse((await tt(dir, ["--json", "inbox", "gamma", "--take"])).out) as unknown[];
    expect(taken).toHaveLength(3);
    expect((await tt(dir, ["inbox", "gamma"])).out).toMatch(/empty/);
  });

  test("kill requeues or cancels the agent's tasks; prune removes it", async () => {
    await tt(dir, ["spawn", "doomed", "--model", "sim"]);
    await tt(dir, ["assign", "doomed", "first"]);
    const killed = JSON.parse((await tt(dir, ["--json", "kill", "doomed"])).out) as { tasks: { state: string }[] };
    expect(killed.tasks.map((t) => t.state)).toEqual(["pending"]);
    expect((await tt(dir, ["assign", "doomed", "more"])).err).toMatch(/doomed is stopped .*tt restart doomed/);
    expect((await tt(dir, ["--json", "restart", "doomed"])).out).toContain('"state": "starting"');
    await tt(dir, ["assign", "doomed", "second"]);
    const cancelled = JSON.parse((await tt(dir, ["--json", "kill", "doomed", "--cancel-tasks"])).out) as {
      tasks: { state: string }[];
    };
    expect(cancelled.tasks.map((t) => t.state)).toEqual(["cancelled"]);
    expect((await tt(dir, ["prune"])).out).toContain("doomed");
    expect((await tt(dir, ["list"])).out).not.toContain("doomed");
  });

  test("status and events show what happened and who did it", async () => {
    const s = JSON.parse((await tt(dir, ["--json", "status"])).out) as {
      tasks: Record<string, number>;
      redis: { managed: boolean };
    };
    expect(s.redis.managed).toBe(false);
    expect(s.tasks.pending).toBeGreaterThan(0);
    const ev = await tt(dir, ["events", "-n", "5"], { TT_ACTOR: "alice" });
    expect(ev.out.trim().split("\n")).toHaveLength(5);
    await tt(dir, ["backlog", "add", "from alice"], { TT_ACTOR: "alice" });
    expect((await tt(dir, ["events", "-n", "1"])).out).toMatch(/task\.created .*by alice/);
  });

  test("wait times out with exit 6 when the agent stays busy (no runner)", async () => {
    await tt(dir, ["spawn", "busy", "--model", "sim"]);
    await tt(dir, ["assign", "busy", "never runs without a runner"]);
    const started = Date.now();
    const r = await tt(dir, ["wait", "busy", "--timeout", "1"]);
    expect(r.code).toBe(6);
    expect(r.err).toMatch(/still busy after 1 s/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("queue: list, promote, pause and resume", async () => {
    await tt(dir, ["spawn", "qa", "--model", "sim"]);
    const low = JSON.parse((await tt(dir, ["--json", "assign", "qa", "later", "--priority", "low"])).out) as {
      id: string;
    };
    await tt(dir, ["assign", "qa", "sooner"]);
    const rows = JSON.parse((await tt(dir, ["--json", "queue"])).out) as {
      agent: string;
      counts: { prioritized: number };
    }[];
    expect(rows.find((r) => r.agent === "qa")?.counts.prioritized).toBe(2);
    expect((await tt(dir, ["queue", "promote", low.id.slice(0, 8)])).out).toMatch(/is next in its agent's queue/);
    expect((await tt(dir, ["queue", "pause", "qa"])).out).toMatch(/qa's queue is paused/);
    expect((await tt(dir, ["queue", "pause", "qa"])).err).toMatch(/cannot interrupt agent qa: it is paused/);
    expect((await tt(dir, ["queue", "resume", "qa"])).code).toBe(0);
    expect((await tt(dir, ["queue", "promote", "ffffffff"])).code).toBe(3);
  });
});

describe("papercuts", () => {
  test("tt wait on an agent that ends in error fails (exit 4) and says why", async () => {
    await tt(dir, ["spawn", "broken", "--model", "sim"]);
    const t = JSON.parse((await tt(dir, ["--json", "assign", "broken", "x"])).out) as {
      id: string;
      assignedTo: string;
    };
    await startTask(town, { taskId: t.id, agentId: t.assignedTo, by: "runner:x" });
    await failAgent(town, t.assignedTo, "model `sim` is broken here", "runner:x");
    const r = await tt(dir, ["wait", "broken", "--timeout", "2"]);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/broken is error: model `sim` is broken here; it takes no work until `tt restart broken`/);
  });

  test("tt logs <agent> after tt kill shows the task it was running", async () => {
    await tt(dir, ["spawn", "killed", "--model", "sim"]);
    const t = JSON.parse((await tt(dir, ["--json", "assign", "killed", "long job"])).out) as {
      id: string;
      assignedTo: string;
    };
    await startTask(town, { taskId: t.id, agentId: t.assignedTo, by: "runner:x" });
    await town.redis.xadd(town.keys.taskLog(t.id), "*", "stream", "out", "line", "halfway there");
    await tt(dir, ["kill", "killed"]);
    const r = await tt(dir, ["logs", "killed"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`── task ${t.id.slice(0, 8)}`);
    expect(r.out).toContain("halfway there");
  });

  test("tt task show on a requeued task: its last run, not 'Started', and its history", async () => {
    await tt(dir, ["spawn", "requeuer", "--model", "sim"]);
    const t = JSON.parse((await tt(dir, ["--json", "assign", "requeuer", "again"])).out) as {
      id: string;
      assignedTo: string;
    };
    const running = await startTask(town, { taskId: t.id, agentId: t.assignedTo, by: "runner:x" });
    await requeueTask(town, {
      taskId: t.id,
      reason: "runner x was lost",
      by: "runner:y",
      expectedVersion: running.version,
    });
    const r = await tt(dir, ["task", "show", t.id]);
    expect(r.out).not.toMatch(/^Started/m);
    expect(r.out).toMatch(/^Last run {2}started .* \(attempt 1\); it did not finish: runner x was lost$/m);
    expect(r.out).toMatch(
      /History\n.*task\.created\s+∅ → assigned\s+by \S+.*\n.*task\.started\s+assigned → running\s+by runner:x.*\n.*task\.requeued\s+running → assigned\s+by runner:y/,
    );
    const j = JSON.parse((await tt(dir, ["--json", "task", "show", t.id])).out) as { history: { type: string }[] };
    expect(j.history.map((e) => e.type)).toEqual(["task.created", "task.started", "task.requeued"]);
  }, 30_000);

  test("tt backlog claim on an empty backlog exits 3", async () => {
    const { dir: empty } = await townDir();
    await tt(empty, ["spawn", "claimer", "--model", "sim"]);
    const r = await tt(empty, ["backlog", "claim", "claimer"]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/the backlog is empty: nothing to claim/);
  });

  test("priorities and states are case-insensitive, like names", async () => {
    const r = await tt(dir, ["--json", "backlog", "add", "shouted", "--priority", "URGENT"]);
    expect(JSON.parse(r.out)).toMatchObject({ priority: "urgent" });
    expect((await tt(dir, ["tasks", "--state", "Pending"])).code).toBe(0);
  });

  test("tt tasks shows the result or error of each task", async () => {
    await tt(dir, ["spawn", "finisher", "--model", "sim"]);
    const t = JSON.parse((await tt(dir, ["--json", "assign", "finisher", "finish me"])).out) as {
      id: string;
      assignedTo: string;
    };
    await startTask(town, { taskId: t.id, agentId: t.assignedTo, by: "runner:x" });
    await completeTask(town, { taskId: t.id, result: "all green", by: "finisher" });
    const r = await tt(dir, ["tasks", "--agent", "finisher"]);
    expect(r.out).toMatch(/RESULT \/ ERROR\n.*completed .*finish me\s+all green/);
  });

  test("message.sent in tt events names the sender and the recipient; agents by name", async () => {
    await tt(dir, ["spawn", "listener", "--model", "sim"]);
    await tt(dir, ["send", "listener", "--high", "are you there?"], { TT_ACTOR: "alice" });
    // The message, then the inbox round it woke the agent with.
    const r = await tt(dir, ["events", "-n", "2"]);
    expect(r.out).toMatch(/message\.sent\s+supervisor → listener high info .*are you there\?/);
    await tt(dir, ["assign", "listener", "named task"]);
    // The task, then the task_assign message `tt assign` records.
    expect((await tt(dir, ["events", "-n", "2"])).out).toMatch(/task\.created\s+task \w{8} \(listener\) ∅ → assigned/);
  });

  test("tt status lists dead runners too, and says agents take no work without a live one", async () => {
    await town.redis.hset(
      town.keys.runners,
      "ghost",
      JSON.stringify({ host: "gone-host", pid: 4242, startedAt: Date.now() - 120_000, models: ["sim"] }),
    );
    await town.redis.zadd(town.keys.runnerAlive, Date.now() - 60_000, "ghost");
    const r = await tt(dir, ["status"]);
    expect(r.out).toMatch(
      /Runners\s+gone-host:4242 dead \(last seen 1m ago\); none running: agents take no work until you run `tt up`/,
    );
  });
});
