/**
 * `by` is always the authenticated principal: no procedure's input may name who is acting. Walks every procedure of
 * the router, so a field added later (or a procedure) that lets the client choose an actor fails here.
 */
import { describe, expect, test } from "vitest";
import type { z } from "zod";

import { appRouter } from "./root";

/** Field names that would let a client say who did something. */
const ACTOR_FIELDS = ["by", "from", "actor", "createdBy", "updatedBy", "requestedBy", "sender", "principal"];
/** Fields with such a name that are not an actor: the audit view filters by actor. */
const FILTERS: Record<string, string[]> = { "town.audit": ["by"] };

/** The top-level field names of an input schema, through optional/default/nullable wrappers and unions. */
function fieldNames(schema: unknown): string[] {
  const s = schema as z.ZodType & {
    shape?: Record<string, unknown>;
    options?: unknown[];
    _zod: { def: { innerType?: unknown; in?: unknown } };
  };
  if (s.shape) return Object.keys(s.shape);
  if (s.options) return s.options.flatMap(fieldNames);
  const inner = s._zod.def.innerType ?? s._zod.def.in;
  return inner ? fieldNames(inner) : [];
}

describe("attribution", () => {
  test("no procedure takes an actor from its input: who acted is the signed-in principal", () => {
    const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { inputs: unknown[] } }>;
    const offending: string[] = [];
    let inspected = 0;
    for (const [path, p] of Object.entries(procedures)) {
      for (const input of p._def.inputs) {
        const names = fieldNames(input);
        inspected += names.length;
        for (const n of names)
          if (ACTOR_FIELDS.includes(n) && !FILTERS[path]?.includes(n)) offending.push(`${path}: ${n}`);
      }
    }
    expect(inspected).toBeGreaterThan(30); // the walk really sees the inputs
    expect(offending).toEqual([]);
  });
});
