import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { testTown } from "../testing";
import type { Town } from "../town/town";
import { listAgents, spawnAgent } from "../agent/agent.service";
import { readEvents } from "../channel/events";
import { isCoreError } from "../errors";
import { agentEnvironment } from "./agent-env";
import { MODEL_PRESETS, resolveModel } from "./models";

describe("model names are own keys only (issue 9, finding 11)", () => {
  let town: Town;
  beforeAll(async () => {
    town = await testTown({ models: { mine: { command: "node", args: [], prompt: "stdin", env: {} } } });
  });
  afterAll(() => town.close());

  const PROTOTYPE_KEYS = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf"];

  test.each(PROTOTYPE_KEYS)(
    "spawn --model %s is refused with VALIDATION; no agent, no event for a runner",
    async (model) => {
      const before = (await readEvents(town, { count: 10_000 })).length;
      const err = await spawnAgent(town, { name: "x", model, by: "cli" }).catch((e: unknown) => e);
      expect(isCoreError(err, "VALIDATION")).toBe(true);
      expect((err as Error).message).toContain(`unknown model "${model}"`);
      expect(await listAgents(town)).toEqual([]);
      expect(await readEvents(town, { count: 10_000 })).toHaveLength(before);
    },
  );

  test("presets and the town's custom models still resolve", () => {
    expect(resolveModel(town.config.models, "claude")).toMatchObject({ kind: "preset", command: "claude" });
    expect(resolveModel(town.config.models, "mine")).toMatchObject({ kind: "custom", command: "node" });
    expect(() => resolveModel({}, "constructor")).toThrow(/unknown model/);
  });
});

describe("an agent's environment", () => {
  const runner = {
    PATH: "/usr/bin",
    HOME: "/home/me",
    LANG: "en_GB.UTF-8",
    LC_ALL: "C",
    TERM: "xterm",
    AWS_SECRET_ACCESS_KEY: "secret",
    REDIS_URL: "redis://127.0.0.1:6379",
    TT_TOWN_DIR: "/town",
    ANTHROPIC_API_KEY: "sk-ant",
    ANTHROPIC_BASE_URL: "https://gw",
    OPENAI_API_KEY: "sk-openai",
  };

  test("the base list and the model's declared names only; the model's env on top", () => {
    const env = agentEnvironment(MODEL_PRESETS.claude!, runner);
    expect(env).toEqual({
      PATH: "/usr/bin",
      HOME: "/home/me",
      LANG: "en_GB.UTF-8",
      LC_ALL: "C",
      TERM: "xterm",
      ANTHROPIC_API_KEY: "sk-ant",
      ANTHROPIC_BASE_URL: "https://gw",
    });
    expect(agentEnvironment({ env: { MODE: "ci", HOME: "/agent" }, passEnv: ["OPENAI_API_KEY"] }, runner)).toEqual({
      PATH: "/usr/bin",
      HOME: "/agent",
      LANG: "en_GB.UTF-8",
      LC_ALL: "C",
      TERM: "xterm",
      OPENAI_API_KEY: "sk-openai",
      MODE: "ci",
    });
  });

  test("every preset declares what its CLI needs, and none passes a Redis URL or cloud keys", () => {
    for (const [name, m] of Object.entries(MODEL_PRESETS)) {
      const env = agentEnvironment(m, runner);
      expect(env.REDIS_URL, name).toBeUndefined();
      expect(env.AWS_SECRET_ACCESS_KEY, name).toBeUndefined();
      expect(env.TT_TOWN_DIR, name).toBeUndefined();
      if (m.kind === "preset") expect(m.passEnv?.length, name).toBeGreaterThan(0);
    }
  });
});
