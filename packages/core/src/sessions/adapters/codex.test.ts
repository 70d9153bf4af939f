import { describe, expect, test } from "vitest";
import { ActivityEvent } from "../activity";
import { CodexJsonAdapter } from "./codex";
import { LinesAdapter } from "./lines";
import type { AdapterOptions } from "./types";

const j = (o: unknown) => JSON.stringify(o);
const turn = (input: number, cached: number, output: number) =>
  j({ type: "turn.completed", usage: { input_tokens: input, cached_input_tokens: cached, output_tokens: output } });

function run(lines: string[], opts: AdapterOptions = { modelName: "codex" }) {
  const adapter = new CodexJsonAdapter(opts);
  const events = lines.flatMap((l) => adapter.push(l));
  return { adapter, events };
}

describe("codex exec --json", () => {
  test("items become the timeline: commands with exit codes, file changes with +/-, MCP calls, messages", () => {
    const { events } = run([
      j({ type: "thread.started", thread_id: "th-1" }),
      j({ type: "turn.started" }),
      j({ type: "item.completed", item: { id: "i0", type: "reasoning", text: "**Plan**" } }),
      j({
        type: "item.started",
        item: { id: "i1", type: "command_execution", command: "bash -lc ls", status: "in_progress" },
      }),
      j({
        type: "item.completed",
        item: {
          id: "i1",
          type: "command_execution",
          command: "bash -lc ls",
          aggregated_output: "a\n",
          exit_code: 2,
          status: "failed",
        },
      }),
      j({
        type: "item.completed",
        item: {
          id: "i2",
          type: "file_change",
          status: "completed",
          changes: [
            { path: "a.ts", kind: "add", diff: "+x\n+y" },
            { path: "b.ts", kind: "delete" },
          ],
        },
      }),
      j({
        type: "item.completed",
        item: { id: "i3", type: "file_change", status: "failed", changes: [{ path: "c.ts", kind: "update" }] },
      }),
      j({
        type: "item.completed",
        item: {
          id: "i4",
          type: "mcp_tool_call",
          server: "gh",
          tool: "search",
          arguments: { q: 1 },
          error: { message: "denied" },
          status: "failed",
        },
      }),
      j({ type: "item.completed", item: { id: "i5", type: "web_search", query: "zod 4" } }),
      j({ type: "item.updated", item: { id: "i6", type: "todo_list", items: [] } }),
      j({ type: "item.completed", item: { id: "i7", type: "error", message: "model rerouted" } }),
      j({ type: "item.completed", item: { id: "i8", type: "agent_message", text: "Done." } }),
    ]);
    expect(events).toEqual([
      { kind: "session", sessionId: "th-1" },
      { kind: "text", text: "**Plan**", reasoning: true },
      { kind: "tool_call", callId: "i1", name: "shell", summary: "bash -lc ls" },
      { kind: "tool_result", callId: "i1", ok: false, output: "a\n", exitCode: 2 },
      { kind: "file_edit", path: "a.ts", change: "add", added: 2, removed: 0 },
      { kind: "file_edit", path: "b.ts", change: "delete" },
      { kind: "error", message: "a patch failed: c.ts" },
      { kind: "tool_call", callId: "i4", name: "gh.search", summary: '{"q":1}' },
      { kind: "tool_result", callId: "i4", ok: false, output: "denied" },
      { kind: "tool_call", callId: "i5", name: "web_search", summary: "zod 4" },
      { kind: "tool_result", callId: "i5", ok: true, output: "" },
      { kind: "error", message: "model rerouted" },
      { kind: "text", text: "Done." },
    ]);
  });

  test("usage is the thread's running total: each figure adds only what is new, cached input apart", () => {
    const { adapter, events } = run([turn(1000, 400, 50), turn(2500, 1400, 120)]);
    expect(events.filter((e) => e.kind === "usage").map((e) => e.kind === "usage" && e.tokens)).toEqual([
      { input: 600, output: 50, cacheRead: 400, cacheWrite: 0 },
      { input: 500, output: 70, cacheRead: 1000, cacheWrite: 0 },
    ]);
    expect(adapter.state.tokens).toEqual({ input: 1100, output: 120, cacheRead: 1400, cacheWrite: 0 });
    expect(adapter.state.cumulative).toEqual({ input: 1100, output: 120, cacheRead: 1400, cacheWrite: 0 });
    expect(adapter.state.turns).toHaveLength(2);
  });

  test("tokens are priced: by the -m model when given, else the `codex` default; unknown models are marked unpriced", () => {
    const mini = run([turn(1_000_000, 0, 0)], { providerModel: "gpt-5-mini", modelName: "codex" });
    expect(mini.adapter.state.usd).toBe(0.25);
    expect(mini.events.find((e) => e.kind === "usage")).toMatchObject({ model: "gpt-5-mini" });
    expect(run([turn(1_000_000, 0, 0)]).adapter.state.usd).toBe(5);
    const unknown = run([turn(1000, 0, 0)], { modelName: "my-wrapper" });
    expect(unknown.adapter.state.usd).toBe(0);
    expect(unknown.events).toEqual([
      { kind: "usage", tokens: { input: 1000, output: 0, cacheRead: 0, cacheWrite: 0 }, unpriced: true },
    ]);
    const own = run([turn(1_000_000, 0, 0)], {
      modelName: "my-wrapper",
      pricing: { "my-wrapper": { inputPerMTok: 2, outputPerMTok: 8 } },
    });
    expect(own.adapter.state.usd).toBe(2);
  });

  test("a resumed thread's history is not counted again (baseline); a baseline above the figures is ignored", () => {
    const resumed = run([turn(5000, 1000, 300)], {
      modelName: "codex",
      baseline: { input: 3000, output: 200, cacheRead: 500, cacheWrite: 0 },
    });
    expect(resumed.adapter.state.tokens).toEqual({ input: 1000, output: 100, cacheRead: 500, cacheWrite: 0 });
    const wrong = run([turn(100, 0, 10)], {
      modelName: "codex",
      baseline: { input: 3000, output: 200, cacheRead: 0, cacheWrite: 0 },
    });
    expect(wrong.adapter.state.tokens).toEqual({ input: 100, output: 10, cacheRead: 0, cacheWrite: 0 });
  });

  test("a usage-limit failure is a rate limit with its reset; the failed turn is fatal", () => {
    const now = new Date(2026, 4, 13, 10, 0).getTime();
    const msg = "You've hit your usage limit. Upgrade to Pro or try again at 3:05 PM.";
    const { adapter, events } = run(
      [j({ type: "error", message: msg }), j({ type: "turn.failed", error: { message: msg } })],
      { modelName: "codex", now: () => now },
    );
    expect(events[0]).toMatchObject({
      kind: "rate_limit",
      status: "limited",
      until: new Date(2026, 4, 13, 15, 5).getTime(),
    });
    expect(events.filter((e) => e.kind === "rate_limit")).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ kind: "error", fatal: true });
    expect(adapter.state).toMatchObject({
      finished: true,
      failed: true,
      rateLimited: { until: new Date(2026, 4, 13, 15, 5).getTime() },
    });
  });

  test("the 2025-09 shapes (item_type, assistant_message) and the older {id,msg} events are read too", () => {
    const interim = run([
      j({ type: "item.completed", item: { id: "i0", item_type: "assistant_message", text: "hi" } }),
      j({ type: "session.created", session_id: "old-1" }),
    ]);
    expect(interim.events).toEqual([
      { kind: "text", text: "hi" },
      { kind: "session", sessionId: "old-1" },
    ]);
    const legacy = run([
      j({ id: "0", msg: { type: "session_configured", session_id: "s-9", model: "gpt-5-codex" } }),
      j({ id: "0", msg: { type: "exec_command_begin", call_id: "c1", command: ["bash", "-lc", "npm test"] } }),
      j({ id: "0", msg: { type: "exec_command_end", call_id: "c1", stdout: "ok", stderr: "", exit_code: 0 } }),
      j({
        id: "0",
        msg: {
          type: "patch_apply_begin",
          call_id: "p1",
          changes: { "x.ts": { update: { unified_diff: "-a\n+b\n+c" } } },
        },
      }),
      j({ id: "0", msg: { type: "patch_apply_end", call_id: "p1", success: true } }),
      j({
        id: "0",
        msg: {
          type: "token_count",
          info: { total_token_usage: { input_tokens: 100, cached_input_tokens: 0, output_tokens: 10 } },
        },
      }),
      j({ id: "0", msg: { type: "task_complete" } }),
    ]);
    expect(legacy.events.filter((e) => e.kind !== "cost")).toEqual([
      { kind: "session", sessionId: "s-9", model: "gpt-5-codex" },
      { kind: "tool_call", callId: "c1", name: "shell", summary: "npm test" },
      { kind: "tool_result", callId: "c1", ok: true, output: "ok", exitCode: 0 },
      { kind: "file_edit", path: "x.ts", change: "update", added: 2, removed: 1 },
      { kind: "usage", tokens: { input: 100, output: 10, cacheRead: 0, cacheWrite: 0 }, model: "gpt-5-codex" },
    ]);
    expect(legacy.adapter.state.finished).toBe(true);
  });

  test("a crash mid-stream: the open command fails and a fatal error says so", () => {
    const { adapter } = run([
      j({ type: "item.started", item: { id: "i1", type: "command_execution", command: "make" } }),
    ]);
    expect(adapter.end({ code: 1 })).toEqual([
      { kind: "tool_result", callId: "i1", ok: false, output: "no result: the process ended" },
      { kind: "error", message: "the process ended (exit code 1) before it reported the end of its turn", fatal: true },
    ]);
  });

  test("junk never throws and every event fits the schema", () => {
    const adapter = new CodexJsonAdapter({ modelName: "codex" });
    const big = "x".repeat(30_000);
    const lines = [
      "plain text",
      "null",
      "{",
      j({ type: "item.completed", item: null }),
      j({
        type: "item.completed",
        item: { id: big, type: "command_execution", command: big, aggregated_output: { a: 1 }, exit_code: "0" },
      }),
      j({
        type: "item.completed",
        item: { type: "file_change", changes: [{ path: big, kind: "weird", diff: 5 }, null] },
      }),
      j({ type: "turn.completed", usage: { input_tokens: 1e300, cached_input_tokens: -1, output_tokens: "many" } }),
      j({ type: "thread.started", thread_id: big }),
      j({ id: 1, msg: { type: "patch_apply_begin", call_id: "p", changes: [1, 2] } }),
      j({ id: 1, msg: { type: "mcp_tool_call_end", call_id: "m", result: { Err: big } } }),
    ];
    for (let i = 0; i < 500; i++)
      for (const line of lines)
        for (const e of adapter.push(line)) expect(ActivityEvent.safeParse(e).success).toBe(true);
    for (const e of adapter.end({ code: null, signal: "SIGTERM" }))
      expect(ActivityEvent.safeParse(e).success).toBe(true);
  });
});

describe("plain lines", () => {
  const rule = { pattern: "usage limit reached\\|(?<reset>\\d{10,13})|You.ve hit your limit" };

  test("each line passes through raw; the first line matching the rule is a rate limit with its reset", () => {
    const now = new Date(2026, 4, 13, 10, 0).getTime();
    const a = new LinesAdapter({ rateLimit: rule, now: () => now });
    expect(a.push("working…")).toEqual([{ kind: "raw", line: "working…" }]);
    expect(a.push("Claude AI usage limit reached|1778680800")).toEqual([
      { kind: "raw", line: "Claude AI usage limit reached|1778680800" },
      {
        kind: "rate_limit",
        status: "limited",
        until: 1_778_680_800_000,
        message: "Claude AI usage limit reached|1778680800",
      },
    ]);
    expect(a.push("Claude AI usage limit reached|1778680900")).toHaveLength(1);
    expect(a.state.rateLimited).toEqual({ until: 1_778_680_800_000 });
  });

  test("without a reset group, the CLIs' usual wording gives the reset; raw can be turned off", () => {
    const now = new Date(2026, 4, 13, 10, 0).getTime();
    const a = new LinesAdapter({ rateLimit: rule, raw: false, now: () => now });
    expect(a.push("You've hit your limit · resets 2pm (UTC)")).toEqual([
      {
        kind: "rate_limit",
        status: "limited",
        until: new Date(2026, 4, 13, 14, 0).getTime(),
        message: "You've hit your limit · resets 2pm (UTC)",
      },
    ]);
    expect(new LinesAdapter().push("rate limit exceeded")).toEqual([{ kind: "raw", line: "rate limit exceeded" }]);
  });
});
