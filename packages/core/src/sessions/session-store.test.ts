/** What outlives a run on a real Redis: the task's CLI session, rate limits (agent, lane), the deferral, metrics. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { agentDetail } from "../agent/agent-detail";
import { spawnAgent } from "../agent/agent.service";
import { readEvents } from "../channel/events";
import { agentQueue } from "../dispatch/dispatch";
import { createTask, deferTask, getTask, startTask } from "../task/task.service";
import { testTown } from "../testing";
import { metricsText } from "../town/health";
import type { Town } from "../town/town";
import { pickLane } from "./lanes";
import { recordActivity } from "./record";
import {
  agentRateLimits,
  findAgentRateLimit,
  findTaskSession,
  rateLimitedUntil,
  saveTaskSession,
  setRateLimited,
} from "./session-store";

let town: Town;
beforeAll(async () => {
  town = await testTown();
});
afterAll(() => town.close());

const agentNamed = () =>
  spawnAgent(town, { name: `w-${Math.random().toString(36).slice(2, 8)}`, model: "claude", by: "cli" });

describe("task sessions", () => {
  test("kept and read back; an id that could read as a flag is refused and nothing is kept", async () => {
    const task = await createTask(town, { description: "resumable", by: "cli" });
    expect(await findTaskSession(town, task.id)).toBeNull();
    const cumulative = { input: 10, output: 5, cacheRead: 100, cacheWrite: 0 };
    await saveTaskSession(town, task.id, { sessionId: "th-1", model: "codex", protocol: "codex-json", cumulative });
    expect(await findTaskSession(town, task.id)).toMatchObject({ sessionId: "th-1", cumulative, lane: null });
    await expect(
      saveTaskSession(town, task.id, {
        sessionId: "--dangerously-skip-permissions",
        model: "claude",
        protocol: "claude-stream-json",
        cumulative: null,
      }),
    ).rejects.toThrow(/session id/);
    expect((await findTaskSession(town, task.id))?.sessionId).toBe("th-1");
  });
});

describe("rate limits", () => {
  test("an agent is limited until its reset, shown by agentRateLimits, and an event says so", async () => {
    const a = await agentNamed();
    const until = Date.now() + 60_000;
    await setRateLimited(town, { agentId: a.id, until, message: "five_hour limit", by: "runner:r1" });
    expect(await findAgentRateLimit(town, a.id)).toBe(until);
    expect((await agentRateLimits(town)).get(a.id)).toBe(until);
    expect(await findAgentRateLimit(town, a.id, until + 1)).toBeNull();
    // The agent's page reads it from the agent detail ("rate-limited until 14:05"); a free agent shows none.
    expect((await agentDetail(town, a.id)).rateLimitedUntil).toBe(until);
    expect((await agentDetail(town, (await agentNamed()).id)).rateLimitedUntil).toBeNull();
    const ev = (await readEvents(town, { count: 5 })).filter((e) => e.type === "agent.rate_limited").at(-1);
    expect(ev).toMatchObject({ agentId: a.id, until, by: "runner:r1" });
  });

  test("a lane-only limit leaves the agent free; pickLane takes the first free lane or says when one frees", async () => {
    const a = await agentNamed();
    const until = Date.now() + 60_000;
    await setRateLimited(town, {
      agentId: a.id,
      until,
      lane: { model: "claude", name: "team" },
      laneOnly: true,
      by: "r",
    });
    expect(await findAgentRateLimit(town, a.id)).toBeNull();
    const lanes = [
      { name: "team", env: {} },
      { name: "personal", env: {} },
    ];
    const limits = await rateLimitedUntil(
      town,
      lanes.map((l) => ({ model: "claude", lane: l.name })),
    );
    expect(limits).toEqual([until, null]);
    expect(pickLane(lanes, limits)).toEqual({ lane: lanes[1] });
    expect(pickLane(lanes, [until, until - 5])).toEqual({ lane: null, until: until - 5 });
  });

  test("deferTask: back to assigned without counting the attempt, its run job delayed until the reset", async () => {
    const a = await agentNamed();
    const task = await createTask(town, { description: "limited", assignTo: a.name, by: "cli" });
    const running = await startTask(town, { taskId: task.id, agentId: a.id, by: "runner:r1", runner: "r1" });
    expect(running.attempts).toBe(1);
    const until = Date.now() + 30_000;
    const t = await deferTask(town, {
      taskId: task.id,
      reason: "rate-limited",
      until,
      by: "runner:r1",
      expectedVersion: running.version,
    });
    expect(t).toMatchObject({ state: "assigned", attempts: 0, error: "rate-limited" });
    expect((await getTask(town, task.id)).attempts).toBe(0);
    const delayed = await agentQueue(town, a.id).getDelayed();
    const job = delayed.find((j) => j.data.taskId === task.id)!;
    expect(job.timestamp + job.delay).toBeGreaterThanOrEqual(until - 1_000);
  });
});

describe("/api/metrics text", () => {
  test("has the usage counters and gauges and the rate-limited agents", async () => {
    const a = await agentNamed();
    const task = await createTask(town, { description: "metered", by: "cli" });
    await recordActivity(town, { runId: `${task.id}.1.m`, taskId: task.id, agentId: a.id, model: "claude" }, [
      { seq: 1, event: { kind: "usage", tokens: { input: 7, output: 3, cacheRead: 0, cacheWrite: 0 }, model: "m-x" } },
      { seq: 2, event: { kind: "cost", usd: 0.25, source: "reported", model: "m-x" } },
    ]);
    const text = await metricsText(town);
    const town_ = `town="${town.name}"`;
    expect(text).toContain("# TYPE tinytown_cost_usd_total counter");
    expect(text).toMatch(new RegExp(`tinytown_cost_usd_total\\{${town_}\\} [0-9.]+`));
    expect(text).toContain(`tinytown_cost_usd_today{${town_},model="m-x"} 0.25`);
    expect(text).toContain(`tinytown_tokens_today{${town_},model="m-x",kind="output"} 3`);
    expect(text).toMatch(new RegExp(`tinytown_agents_rate_limited\\{${town_}\\} [1-9]`));
  });
});
