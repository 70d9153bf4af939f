import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { TRPCError } from "@trpc/server";
import { afterEach, describe, expect, test } from "vitest";

import { CONFIG_FILE, CoreError, type CoreErrorCode } from "@tinytown/core";
import { testRedisUrl, uniqueTownName } from "@tinytown/core/testing";

import { createContext } from "./context";
import { createCaller } from "./root";
import { closeTown, getTown } from "./town";
import { toTRPCError } from "./trpc";

function mapped(err: unknown): TRPCError {
  try {
    toTRPCError(err);
  } catch (e) {
    return e as TRPCError;
  }
  throw new Error("toTRPCError returned");
}

describe("toTRPCError: the one mapping of core errors", () => {
  const table: [CoreErrorCode, string][] = [
    ["VALIDATION", "BAD_REQUEST"],
    ["AMBIGUOUS", "BAD_REQUEST"],
    ["NOT_FOUND", "NOT_FOUND"],
    ["NOT_A_TOWN", "NOT_FOUND"],
    ["INVALID_STATE", "CONFLICT"],
    ["CONFLICT", "CONFLICT"],
    ["ALREADY_EXISTS", "CONFLICT"],
    ["REDIS_UNAVAILABLE", "SERVICE_UNAVAILABLE"],
    ["REDIS_NOT_INSTALLED", "SERVICE_UNAVAILABLE"],
    ["UNAUTHORIZED", "UNAUTHORIZED"],
    ["FORBIDDEN", "FORBIDDEN"],
    ["TIMEOUT", "TIMEOUT"],
    ["INTERNAL", "INTERNAL_SERVER_ERROR"],
  ];
  test.each(table)("%s → %s, keeping the message and the core error as cause", (code, trpc) => {
    const core = new CoreError(code, `it went ${code}`, { state: "x" });
    // As procedures report it: wrapped by tRPC as INTERNAL_SERVER_ERROR with the original as cause.
    const err = mapped(new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: core }));
    expect(err.code).toBe(trpc);
    expect(err.message).toBe(`it went ${code}`);
    expect(err.cause).toBe(core);
  });

  test("a lost Redis connection is SERVICE_UNAVAILABLE; anything else INTERNAL_SERVER_ERROR; tRPC's own errors pass", () => {
    const lost = mapped(new Error("Connection is closed."));
    expect(lost.code).toBe("SERVICE_UNAVAILABLE");
    expect(lost.cause).toBeInstanceOf(CoreError);
    expect(mapped(new Error("boom")).code).toBe("INTERNAL_SERVER_ERROR");
    const own = new TRPCError({ code: "METHOD_NOT_SUPPORTED" });
    expect(mapped(own)).toBe(own);
  });
});

describe("errors tRPC raises itself keep their code; only what comes from below the API is normalised", () => {
  test("a body tRPC could not parse stays a PARSE_ERROR (400), not an internal error", () => {
    const parse = new TRPCError({ code: "PARSE_ERROR", cause: new SyntaxError("Unexpected token") });
    expect(mapped(parse)).toBe(parse);
  });
  test("an internal error reported by a procedure keeps its message and original cause", () => {
    const bug = new TypeError("x is undefined");
    const err = mapped(new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: bug }));
    expect(err.code).toBe("INTERNAL_SERVER_ERROR");
    expect(err.cause).toBe(bug);
    const raw = mapped(bug);
    expect(raw).toMatchObject({ code: "INTERNAL_SERVER_ERROR", message: "x is undefined" });
    expect(raw.cause).toBe(bug);
    expect(mapped(new CoreError("NOT_FOUND", "no task")).code).toBe("NOT_FOUND");
  });
});

describe("the process's town", () => {
  const saved = { dir: process.env.TT_TOWN_DIR, url: process.env.REDIS_URL };
  afterEach(async () => {
    await closeTown();
    for (const [k, v] of [
      ["TT_TOWN_DIR", saved.dir],
      ["REDIS_URL", saved.url],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test("without a town, town procedures are NOT_FOUND (NOT_A_TOWN) while health still answers", async () => {
    process.env.TT_TOWN_DIR = mkdtempSync(join(tmpdir(), "tt-api-none-"));
    const api = createCaller(createContext({ headers: new Headers() }));
    await expect(api.health.ping()).resolves.toMatchObject({ ok: true });
    await expect(api.agent.list()).rejects.toMatchObject({ code: "NOT_FOUND", cause: { code: "NOT_A_TOWN" } });
  });

  test("getTown connects once from TT_TOWN_DIR and is shared by every request", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tt-api-town-"));
    const name = uniqueTownName("api");
    writeFileSync(join(dir, CONFIG_FILE), JSON.stringify({ name, redis: { url: testRedisUrl() } }));
    process.env.TT_TOWN_DIR = dir;
    delete process.env.REDIS_URL;
    const [a, b] = await Promise.all([getTown(), getTown()]);
    expect(a).toBe(b);
    expect(a.name).toBe(name);
    const api = createCaller(createContext({ headers: new Headers({ cookie: "tt_name=zoe" }) }));
    const agent = await api.agent.spawn({ name: "from-env", model: "sim" });
    expect(agent.createdBy).toBe("zoe");
    expect((await api.town.status()).name).toBe(name);
  });
});
