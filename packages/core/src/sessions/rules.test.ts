/** The pure rules: prices, reset times and rate-limit patterns, budgets, days, config and launch argv. */
import { describe, expect, test } from "vitest";
import { isCoreError } from "../errors";
import { MODEL_PRESETS, providerModelFromArgs, resolveModel, runArgs, structuredModel } from "../models/models";
import { parseConfig } from "../town/config";
import { checkBudget, dayKey, formatUsd, lastDays } from "./budget-rules";
import { costMicros, DEFAULT_PRICING, findPrice, priceTable } from "./pricing";
import { compileRateLimitRule, parseResetTime, rateLimitFromLine, rateLimitFromText } from "./rate-limit";

describe("prices", () => {
  test("a model id finds its entry by the longest prefix ending at a separator", () => {
    const key = (...c: string[]) => findPrice(DEFAULT_PRICING, c)?.key;
    expect(key("claude-opus-4-5-20251101")).toBe("claude-opus-4-5");
    expect(key("claude-opus-4-20250514")).toBe("claude-opus-4");
    expect(key("us.anthropic.claude-sonnet-4-5-20250929-v1:0")).toBe("claude-sonnet-4-5");
    expect(key("gpt-5.4")).toBe("gpt-5.4");
    expect(key("gpt-5.4-mini")).toBe("gpt-5.4-mini");
    expect(key("openai/gpt-5")).toBe("gpt-5");
    // `gpt-5` must not price `gpt-5.9` (a dot is not a separator): the Tinytown model name does.
    expect(key("gpt-5.9", "codex")).toBe("codex");
    expect(key("claude-opus-9-0")).toBe("claude");
    expect(findPrice(DEFAULT_PRICING, ["mystery", undefined, null])).toBeNull();
  });

  test("cost in whole micro-dollars; a missing cache price is the input price; the town's own prices win", () => {
    const sonnet = DEFAULT_PRICING["claude-sonnet-4-5"]!;
    expect(
      costMicros(sonnet, { input: 1_000_000, output: 1_000_000, cacheRead: 1_000_000, cacheWrite: 1_000_000 }),
    ).toBe(22_050_000);
    expect(
      costMicros({ inputPerMTok: 2, outputPerMTok: 0 }, { input: 0, output: 0, cacheRead: 10, cacheWrite: 10 }),
    ).toBe(40);
    const own = priceTable({ "gpt-5.4": { inputPerMTok: 1, outputPerMTok: 1 } });
    expect(own["gpt-5.4"]).toEqual({ inputPerMTok: 1, outputPerMTok: 1 });
    expect(own["claude-opus-4-5"]).toEqual(DEFAULT_PRICING["claude-opus-4-5"]);
  });
});

describe("reset times and rate-limit patterns", () => {
  const now = new Date(2026, 4, 13, 10, 30).getTime();

  test.each([
    ["1778680800", 1_778_680_800_000],
    ["1778680800123", 1_778_680_800_123],
    ["2026-05-13T12:00:00Z", Date.UTC(2026, 4, 13, 12)],
    ["in 5 minutes", now + 5 * 60_000],
    ["1h 30m", now + 90 * 60_000],
    ["30s", now + 30_000],
    ["2pm", new Date(2026, 4, 13, 14).getTime()],
    ["3:05 PM", new Date(2026, 4, 13, 15, 5).getTime()],
    ["09:15", new Date(2026, 4, 14, 9, 15).getTime()],
    ["12am", new Date(2026, 4, 14, 0).getTime()],
    ["soon", null],
    ["25:00", null],
  ])("%s", (text, expected) => {
    expect(parseResetTime(text, now)).toBe(expected);
  });

  test("a rule matches a line; its reset group gives the time; a bad pattern is refused by the config", () => {
    const rule = compileRateLimitRule({ pattern: "quota exhausted, retry after (?<reset>\\d+s)", flags: "i" });
    expect(rateLimitFromLine(rule, "Quota exhausted, retry after 90s", now)).toEqual({
      until: now + 90_000,
      message: "Quota exhausted, retry after 90s",
    });
    expect(rateLimitFromLine(rule, "all good", now)).toBeNull();
    expect(() => parseConfig({ name: "t", models: { m: { command: "x", rateLimit: { pattern: "([" } } } })).toThrow(
      /models\.m\.rateLimit\.pattern: not a valid regular expression/,
    );
  });

  test("the CLIs' own wording: claude's `|<epoch>` and `resets 2pm`, codex's `try again in/at`, a 429", () => {
    expect(rateLimitFromText("Claude AI usage limit reached|1778680800", now)?.until).toBe(1_778_680_800_000);
    expect(rateLimitFromText("You've hit your limit · resets 2pm (Europe/Paris)", now)?.until).toBe(
      new Date(2026, 4, 13, 14).getTime(),
    );
    expect(rateLimitFromText("You've hit your usage limit. Try again in 12 minutes.", now)?.until).toBe(
      now + 12 * 60_000,
    );
    expect(rateLimitFromText("exceeded retry limit, last status: 429 Too Many Requests", now)).toMatchObject({
      until: null,
    });
    expect(rateLimitFromText("compiled 429 files", now)).toMatchObject({ until: null });
    expect(rateLimitFromText("the build failed", now)).toBeNull();
  });
});

describe("budgets", () => {
  const none = { task: null, agentDay: null, townDay: null };

  test("no limit, no stop; reached means spent ≥ limit, the task's budget first", () => {
    expect(checkBudget(none, { task: 1e6, agentDay: 1e6, townDay: 1e6 })).toEqual({ ok: true });
    const limits = { task: 5, agentDay: 20, townDay: 100 };
    expect(checkBudget(limits, { task: 4.99, agentDay: 19, townDay: 99 })).toEqual({ ok: true });
    expect(checkBudget(limits, { task: 5, agentDay: 25, townDay: 99 })).toEqual({
      ok: false,
      scope: "task",
      limitUsd: 5,
      spentUsd: 5,
      reason: "task budget $5.00 reached after $5.00",
    });
    expect(checkBudget(limits, { task: 1, agentDay: 19.5, townDay: 0 }, 0.6)).toMatchObject({
      scope: "agent",
      reason: "agent's daily budget $20.00 reached after $20.10",
    });
    expect(checkBudget({ ...none, townDay: 0.3 }, { task: 0, agentDay: 0, townDay: 0.1 }, 0.2)).toMatchObject({
      scope: "town",
    });
  });

  test("amounts: cents, and small sums with the digits that matter", () => {
    expect(formatUsd(0.5)).toBe("$0.50");
    expect(formatUsd(12.345)).toBe("$12.35");
    expect(formatUsd(0.0042)).toBe("$0.0042");
    expect(formatUsd(0)).toBe("$0.00");
  });

  test("days are calendar days in the town's time zone; the last 7 days cross months and daylight saving", () => {
    const at = Date.UTC(2026, 2, 29, 23, 30);
    expect(dayKey(at, "UTC")).toBe("2026-03-29");
    expect(dayKey(at, "Europe/Paris")).toBe("2026-03-30");
    expect(dayKey(at, "America/Los_Angeles")).toBe("2026-03-29");
    expect(lastDays(at, 7, "Europe/Paris")).toEqual([
      "2026-03-24",
      "2026-03-25",
      "2026-03-26",
      "2026-03-27",
      "2026-03-28",
      "2026-03-29",
      "2026-03-30",
    ]);
    expect(lastDays(Date.UTC(2026, 0, 2), 3)).toEqual(["2025-12-31", "2026-01-01", "2026-01-02"]);
  });

  test("config: budgets and prices are validated, with clear errors", () => {
    const c = parseConfig({ name: "t" });
    expect(c.budgets).toEqual({ timeZone: "UTC" });
    expect(c.pricing).toEqual({});
    expect(() => parseConfig({ name: "t", budgets: { timeZone: "Mars/Olympus" } })).toThrow(
      /budgets\.timeZone: an IANA time zone/,
    );
    expect(() => parseConfig({ name: "t", budgets: { taskUsd: -1 } })).toThrow(/budgets\.taskUsd/);
    expect(() => parseConfig({ name: "t", pricing: { "gpt-x": { inputPerMTok: 1 } } })).toThrow(
      /pricing\.gpt-x\.outputPerMTok/,
    );
    expect(() => parseConfig({ name: "t", pricing: { "-bad": { inputPerMTok: 1, outputPerMTok: 1 } } })).toThrow(
      /pricing\.-bad: not a model id/,
    );
    expect(parseConfig({ name: "t", budgets: { townDailyUsd: 50, timeZone: "Europe/Paris" } }).budgets).toEqual({
      townDailyUsd: 50,
      timeZone: "Europe/Paris",
    });
  });
});

describe("launching a structured model", () => {
  test("presets still launch as before; their structured mode and resume argv are data", () => {
    expect(MODEL_PRESETS.claude!.args).toEqual(["--print", "--dangerously-skip-permissions"]);
    expect(MODEL_PRESETS.codex!.args).toEqual(["exec", "--full-auto", "--skip-git-repo-check", "-"]);
    expect([MODEL_PRESETS.claude!.protocol, MODEL_PRESETS.codex!.protocol, MODEL_PRESETS.claude!.resumeArgs]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    const claude = structuredModel(resolveModel({}, "claude"));
    expect(claude.protocol).toBe("claude-stream-json");
    expect(runArgs(claude)).toEqual([
      "--print",
      "--dangerously-skip-permissions",
      "--output-format",
      "stream-json",
      "--verbose",
    ]);
    expect(runArgs(claude, "0199a213-81c0")).toEqual([
      "--print",
      "--dangerously-skip-permissions",
      "--output-format",
      "stream-json",
      "--verbose",
      "--resume",
      "0199a213-81c0",
    ]);
    const codex = structuredModel(resolveModel({}, "codex"));
    expect(runArgs(codex, "th-1")).toEqual([
      "exec",
      "--json",
      "--full-auto",
      "--skip-git-repo-check",
      "resume",
      "th-1",
      "-",
    ]);
    expect(structuredModel(resolveModel({}, "aider"))).toEqual(resolveModel({}, "aider"));
  });

  test("a session id that could read as a flag, or is not an id, is refused; models without resumeArgs start cold", () => {
    const claude = structuredModel(resolveModel({}, "claude"));
    for (const bad of ["--dangerously-skip-permissions", "-x", "a b", "x".repeat(200), "a;rm"]) {
      const err = (() => {
        try {
          runArgs(claude, bad);
        } catch (e) {
          return e;
        }
      })();
      expect(isCoreError(err, "VALIDATION"), bad).toBe(true);
    }
    expect(runArgs({ args: ["a"] }, "s-1")).toEqual(["a"]);
  });

  test("the provider model a run asks for, to price it", () => {
    expect(providerModelFromArgs(["exec", "-m", "gpt-5.4", "-"])).toBe("gpt-5.4");
    expect(providerModelFromArgs(["--model=sonnet"])).toBe("sonnet");
    expect(providerModelFromArgs(["--print"])).toBeUndefined();
  });
});
