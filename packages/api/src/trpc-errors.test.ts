/** Errors tRPC raises itself keep their code; only what comes from below the API is normalised by core. */
import { TRPCError } from "@trpc/server";
import { expect, test } from "vitest";

import { CoreError } from "@tinytown/core";

import { toTRPCError } from "./trpc";

function mapped(err: unknown): TRPCError {
  try {
    toTRPCError(err);
  } catch (e) {
    return e as TRPCError;
  }
  throw new Error("toTRPCError returned");
}

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
