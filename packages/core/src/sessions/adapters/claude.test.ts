import { describe, expect, test } from "vitest";
import { ActivityEvent } from "../activity";
import { ClaudeStreamAdapter } from "./claude";

const j = (o: unknown) => JSON.stringify(o);
const usage = (input: number, output: number, cacheRead = 0, cacheWrite = 0) => ({
  input_tokens: input,
  output_tokens: output,
  cache_read_input_tokens: cacheRead,
  cache_creation_input_tokens: cacheWrite,
});
const assistant = (id: string, content: unknown[], u: unknown, extra: object = {}) =>
  j({
    type: "assistant",
    message: { id, model: "claude-sonnet-4-5-20250929", content, usage: u },
    session_id: "s-1",
    ...extra,
  });

function run(lines: string[], adapter = new ClaudeStreamAdapter()) {
  const events = lines.flatMap((l) => adapter.push(l));
  return { adapter, events, kinds: events.map((e) => e.kind) };
}
const costSum = (events: ActivityEvent[]) =>
  events.reduce((n, e) => n + (e.kind === "cost" ? Math.round(e.usd * 1e6) : 0), 0) / 1e6;

describe("claude stream-json", () => {
  test("the session id, text, tool calls and results, and an edit with its +/- from the tool's patch", () => {
    const { events } = run([
      j({ type: "system", subtype: "init", session_id: "s-1", model: "claude-sonnet-4-5-20250929" }),
      assistant("m1", [{ type: "text", text: "Looking." }], usage(3, 10)),
      assistant(
        "m1",
        [
          {
            type: "tool_use",
            id: "t1",
            name: "Edit",
            input: { file_path: "a.ts", old_string: "x", new_string: "y\nz" },
          },
        ],
        usage(3, 10),
      ),
      j({
        type: "user",
        message: {
          content: [{ type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "updated" }] }],
        },
        tool_use_result: { structuredPatch: [{ lines: [" a", "-x", "+y", "+z", "+w"] }] },
      }),
      assistant(
        "m2",
        [{ type: "tool_use", id: "t2", name: "Bash", input: { command: "npm test\n  --silent" } }],
        usage(1, 5),
      ),
      j({
        type: "user",
        message: { content: [{ type: "tool_result", tool_use_id: "t2", content: "boom", is_error: true }] },
      }),
    ]);
    expect(events.filter((e) => e.kind !== "usage" && e.kind !== "cost")).toEqual([
      { kind: "session", sessionId: "s-1", model: "claude-sonnet-4-5-20250929" },
      { kind: "text", text: "Looking." },
      { kind: "tool_call", callId: "t1", name: "Edit", summary: "a.ts" },
      { kind: "tool_result", callId: "t1", ok: true, output: "updated" },
      { kind: "file_edit", path: "a.ts", change: "update", added: 3, removed: 1 },
      { kind: "tool_call", callId: "t2", name: "Bash", summary: "npm test --silent" },
      { kind: "tool_result", callId: "t2", ok: false, output: "boom" },
    ]);
  });

  test("a failed edit is no file edit; a Write without a patch counts its lines", () => {
    const { events } = run([
      assistant(
        "m1",
        [{ type: "tool_use", id: "t1", name: "Write", input: { file_path: "n.ts", content: "a\nb\n" } }],
        usage(1, 1),
      ),
      assistant(
        "m1",
        [{ type: "tool_use", id: "t2", name: "Edit", input: { file_path: "o.ts", old_string: "q", new_string: "r" } }],
        usage(1, 1),
      ),
      j({ type: "user", message: { content: [{ type: "tool_result", tool_use_id: "t1", content: "ok" }] } }),
      j({
        type: "user",
        message: { content: [{ type: "tool_result", tool_use_id: "t2", content: "no match", is_error: true }] },
      }),
    ]);
    expect(events.filter((e) => e.kind === "file_edit")).toEqual([
      { kind: "file_edit", path: "n.ts", change: "update", added: 2, removed: 0 },
    ]);
  });

  test("a response repeated on several lines counts once, at its largest figures", () => {
    const { adapter } = run([
      assistant("m1", [{ type: "text", text: "a" }], usage(3, 1, 100, 50)),
      assistant("m1", [{ type: "text", text: "b" }], usage(3, 1, 100, 50)),
      assistant("m1", [{ type: "tool_use", id: "t", name: "Read", input: {} }], usage(3, 120, 100, 50)),
      assistant("m2", [{ type: "text", text: "c" }], usage(2, 7)),
    ]);
    expect(adapter.state.tokens).toEqual({ input: 5, output: 127, cacheRead: 100, cacheWrite: 50 });
    // Sonnet: 3 $/MTok in, 15 out, 0.30 cache read, 3.75 cache write.
    // Each response is priced in whole micro-dollars.
    expect(adapter.state.usd).toBeCloseTo((5 * 3 + 127 * 15 + 100 * 0.3 + 50 * 3.75) / 1e6, 5);
  });

  test("per-turn cost from claude's running total: $0.10 then $0.25 is $0.10 + $0.15, and the sum is exact", () => {
    const { adapter, events } = run([
      assistant("m1", [{ type: "text", text: "one" }], usage(3, 300, 12_000, 4_000)),
      j({ type: "result", subtype: "success", is_error: false, total_cost_usd: 0.1, session_id: "s-1" }),
      assistant("m2", [{ type: "text", text: "two" }], usage(3, 500, 16_000, 800)),
      j({ type: "result", subtype: "success", is_error: false, total_cost_usd: 0.25, session_id: "s-1" }),
    ]);
    expect(adapter.state.turns.map((t) => t.usd)).toEqual([0.1, 0.15]);
    expect(costSum(events)).toBe(0.25);
    expect(events.filter((e) => e.kind === "cost").map((e) => e.kind === "cost" && e.source)).toEqual([
      "estimated",
      "reported",
      "estimated",
      "reported",
    ]);
    expect(adapter.state.finished).toBe(true);
  });

  test("the result settles tokens and cost per model; tokens only claude saw (Haiku) count too", () => {
    const { adapter, events } = run([
      assistant("m1", [{ type: "text", text: "a" }], usage(10, 100)),
      j({
        type: "result",
        subtype: "success",
        total_cost_usd: 0.0042,
        modelUsage: {
          "claude-sonnet-4-5-20250929": {
            inputTokens: 10,
            outputTokens: 150,
            cacheReadInputTokens: 0,
            cacheCreationInputTokens: 0,
            costUSD: 0.00228,
          },
          "claude-haiku-4-5-20251001": {
            inputTokens: 600,
            outputTokens: 40,
            cacheReadInputTokens: 0,
            cacheCreationInputTokens: 0,
            costUSD: 0.0008,
          },
        },
      }),
    ]);
    expect(adapter.state.tokens).toEqual({ input: 610, output: 190, cacheRead: 0, cacheWrite: 0 });
    expect(adapter.state.usd).toBe(0.0042);
    const haiku = events.filter((e) => "model" in e && e.model === "claude-haiku-4-5-20251001");
    expect(haiku.map((e) => e.kind)).toEqual(["usage", "cost"]);
    // $0.0042 − $0.00228 − $0.0008 the per-model figures leave out goes to the session's model.
    expect(costSum(events)).toBe(0.0042);
  });

  test("without modelUsage the result's usage settles the tokens; older versions' cost_usd is read", () => {
    const { adapter } = run([
      assistant("m1", [{ type: "text", text: "a" }], usage(10, 1)),
      j({ type: "result", subtype: "success", cost_usd: 0.5, usage: usage(10, 90, 5, 0) }),
    ]);
    expect(adapter.state.tokens).toEqual({ input: 10, output: 90, cacheRead: 5, cacheWrite: 0 });
    expect(adapter.state.usd).toBe(0.5);
  });

  test("rate limits: informational events are skipped, a warning is reported, a rejection once with its reset", () => {
    const ev = (status: string, resetsAt?: number) =>
      j({ type: "rate_limit_event", rate_limit_info: { status, resetsAt, rateLimitType: "five_hour" } });
    const { adapter, events } = run([
      ev("allowed", 1_800_000_000),
      ev("allowed_warning", 1_800_000_000),
      ev("rejected", 1_800_000_000),
      ev("rejected", 1_800_000_100),
    ]);
    expect(events).toEqual([
      { kind: "rate_limit", status: "warning", until: 1_800_000_000_000, message: "five_hour limit nearly reached" },
      { kind: "rate_limit", status: "limited", until: 1_800_000_000_000, message: "five_hour limit reached" },
    ]);
    expect(adapter.state.rateLimited).toEqual({ until: 1_800_000_000_000 });
  });

  test("a rate limit only said in the assistant's error text is found, with its reset time", () => {
    const now = new Date(2026, 4, 13, 10, 0).getTime();
    const adapter = new ClaudeStreamAdapter({ now: () => now });
    const { events } = run(
      [
        j({
          type: "assistant",
          error: "rate_limit",
          message: {
            id: "x",
            model: "<synthetic>",
            content: [{ type: "text", text: "You've hit your limit · resets 2pm (UTC)" }],
          },
        }),
        j({ type: "result", subtype: "success", is_error: true, result: "You've hit your limit · resets 2pm (UTC)" }),
      ],
      adapter,
    );
    expect(events.find((e) => e.kind === "rate_limit")).toMatchObject({
      status: "limited",
      until: new Date(2026, 4, 13, 14, 0).getTime(),
    });
    expect(events.filter((e) => e.kind === "rate_limit")).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ kind: "error", fatal: true });
    expect(adapter.state.failed).toBe(true);
  });

  test("an error result is a fatal error naming why", () => {
    const { events } = run([
      j({
        type: "result",
        subtype: "error_max_turns",
        is_error: true,
        errors: ["Reached maximum number of turns (5)"],
      }),
    ]);
    expect(events).toContainEqual({
      kind: "error",
      message: "the turn failed: Reached maximum number of turns (5)",
      fatal: true,
    });
  });

  test("the process ending without a result: open tool calls fail and a fatal error says how it ended", () => {
    const { adapter } = run([
      assistant("m1", [{ type: "tool_use", id: "t1", name: "Bash", input: { command: "sleep 9" } }], usage(1, 1)),
    ]);
    expect(adapter.end({ code: null, signal: "SIGKILL" })).toEqual([
      { kind: "tool_result", callId: "t1", ok: false, output: "no result: the process ended" },
      {
        kind: "error",
        message: "the process ended (signal SIGKILL) before it reported the end of its turn",
        fatal: true,
      },
    ]);
    const done = run([j({ type: "result", subtype: "success", total_cost_usd: 0 })]).adapter;
    expect(done.end({ code: 0 })).toEqual([]);
  });

  test("lines that are not events: plain text is raw, wrong shapes are errors, unknown types are skipped", () => {
    const { adapter, events } = run([
      "Warning: something",
      "",
      "[1,2]",
      '{"type":"assistant","message":{"content":[{"type":"text","text":"cut',
      j({ type: "assistant", message: 7 }),
      j({ type: "stream_event", event: {} }),
      j({ type: "system", subtype: "init", session_id: "--resume" }),
    ]);
    expect(events.map((e) => e.kind)).toEqual(["raw", "raw", "raw", "error", "error"]);
    expect(adapter.state.sessionId).toBeNull();
    expect(adapter.state.skipped).toBe(1);
  });

  test("no input makes it throw, and every event it makes fits the bounded schema", () => {
    const adapter = new ClaudeStreamAdapter();
    const big = "é".repeat(20_000);
    const shapes: unknown[] = [
      {
        type: "assistant",
        message: {
          id: 1,
          content: [
            { type: "text", text: big },
            { type: "tool_use", id: big, name: big, input: { command: big } },
          ],
          usage: { input_tokens: -5, output_tokens: "x" },
        },
      },
      {
        type: "user",
        message: { content: [{ type: "tool_result", tool_use_id: big, content: [{ text: big }, null, 5] }] },
      },
      { type: "result", total_cost_usd: Number.MAX_VALUE, modelUsage: { [big]: { costUSD: -1 } }, usage: null },
      { type: "result", total_cost_usd: "NaN", errors: [big, 5] },
      { type: "rate_limit_event", rate_limit_info: { status: "rejected", resetsAt: "soon" } },
      { type: "system", subtype: "init", session_id: big, model: big },
      { type: "assistant", error: big, message: { content: "nope" } },
    ];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const s = shapes[i % shapes.length]!;
      const line = i % 3 === 0 ? j(s).slice(0, Math.floor(rnd() * j(s).length)) : j(s);
      const events = adapter.push(line);
      for (const e of events) expect(ActivityEvent.safeParse(e).success, JSON.stringify(e).slice(0, 200)).toBe(true);
    }
    for (const e of adapter.end({ code: 1 })) expect(ActivityEvent.safeParse(e).success).toBe(true);
  });

  test("memory stays bounded: thousands of tool calls left open are closed as at most 1,000", () => {
    const adapter = new ClaudeStreamAdapter();
    for (let i = 0; i < 5_000; i++)
      adapter.push(
        assistant(`m${i}`, [{ type: "tool_use", id: `t${i}`, name: "Read", input: { file_path: "x" } }], usage(1, 1)),
      );
    const closing = adapter.end({ code: 0 });
    expect(closing.filter((e) => e.kind === "tool_result")).toHaveLength(1_000);
  });
});
