/**
 * docs/HTTP-API.md, checked: the flow a script follows, in the documented wire format (hand-written JSON, not the
 * tRPC client), through the same gate and fetch handler the web's `/api/trpc` route mounts, with a bearer token.
 * And the doc's procedure table against the router: every procedure is listed with its kind, and its role holds.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { addUser, createToken, spawnAgent, type Role, type Town, IN_PROCESS_REACH } from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";

import { createContext } from "./context";
import { trpcGate } from "./http";
import { closeLiveHubs } from "./live/hub";
import { appRouter } from "./root";

const DOC = fileURLToPath(new URL("../../../docs/HTTP-API.md", import.meta.url));
const BASE = "http://127.0.0.1:3000";
const ENDPOINT = "/api/trpc";

let town: Town;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  town = await testTown({}, "httpapi");
  await addUser(town, { name: "ada", role: "admin", password: "correct horse battery", by: "cli" });
  for (const role of ["viewer", "operator", "admin"] as const)
    tokens[role] = (await createToken(town, { name: `script-${role}`, role, by: "cli" })).token;
  await spawnAgent(town, { name: "builder", model: "sim", by: "test" });
});
afterAll(async () => {
  closeLiveHubs(town);
  await town.close();
});

/** What the web's route handler does with a request: the 401 gate, then tRPC's fetch adapter. */
async function serve(req: Request): Promise<Response> {
  const refused = await trpcGate(req, { endpoint: ENDPOINT, town, reach: IN_PROCESS_REACH });
  if (refused) return refused;
  return fetchRequestHandler({
    endpoint: ENDPOINT,
    router: appRouter,
    req,
    createContext: ({ resHeaders }) =>
      createContext({ headers: req.headers, town, exposed: false, transport: "http", resHeaders, url: req.url }),
  });
}

const auth = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** `curl "$TT/api/trpc/<proc>?input=<url-encoded {"json":…}>"` */
async function get(proc: string, input: unknown, token?: string) {
  const qs = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const res = await serve(new Request(`${BASE}${ENDPOINT}/${proc}${qs}`, { headers: auth(token) }));
  return { status: res.status, body: (await res.json()) as Wire };
}

/** `curl -X POST -H 'content-type: application/json' -d '{"json":…}' "$TT/api/trpc/<proc>"` */
async function post(proc: string, input: unknown, token?: string) {
  const res = await serve(
    new Request(`${BASE}${ENDPOINT}/${proc}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth(token) },
      body: JSON.stringify({ json: input }),
    }),
  );
  return { status: res.status, body: (await res.json()) as Wire };
}

interface Wire {
  result?: { data: { json: unknown; meta?: unknown } };
  error?: {
    json?: {
      message: string;
      code: number;
      data: {
        code: string;
        httpStatus: number;
        path: string;
        core: { code: string; details: Record<string, unknown> } | null;
      };
    };
    message?: string;
    code?: string;
  };
}

describe("the documented flow, with a bearer token", () => {
  test("create a task, list it, move it, read it back; a stale move is 409 with the current state", async () => {
    const created = await post(
      "task.create",
      { description: "Fix the login redirect", priority: "high", tags: ["web"] },
      tokens.operator,
    );
    expect(created.status).toBe(200);
    const task = created.body.result!.data.json as { id: string; state: string; version: number; createdBy: string };
    expect(task).toMatchObject({ state: "pending", createdBy: "token:script-operator" });
    // Times are epoch milliseconds: plain JSON, no superjson `meta` needed to read them.
    expect(created.body.result!.data.meta).toBeUndefined();

    const listed = await get("task.list", { state: "pending", limit: 10 }, tokens.operator);
    expect(listed.status).toBe(200);
    const page = listed.body.result!.data.json as { items: { id: string }[]; total: number };
    expect(page.items.map((t) => t.id)).toContain(task.id);

    const moved = await post(
      "task.move",
      {
        taskId: task.id,
        target: { kind: "agent", agent: "builder" },
        expectedState: "pending",
        expectedVersion: task.version,
      },
      tokens.operator,
    );
    expect(moved.status).toBe(200);
    expect(moved.body.result!.data.json).toMatchObject({
      id: task.id,
      state: "assigned",
      updatedBy: "token:script-operator",
    });

    const got = await get("task.get", { taskId: task.id.slice(0, 8) }, tokens.operator);
    expect(got.status).toBe(200);
    expect(got.body.result!.data.json).toMatchObject({ task: { id: task.id, state: "assigned" } });

    const stale = await post(
      "task.move",
      { taskId: task.id, target: { kind: "backlog" }, expectedState: "pending", expectedVersion: task.version },
      tokens.operator,
    );
    expect(stale.status).toBe(409);
    expect(stale.body.error!.json!.data).toMatchObject({
      code: "CONFLICT",
      httpStatus: 409,
      path: "task.move",
      core: { code: "CONFLICT" },
    });
    expect(stale.body.error!.json!.data.core!.details).toMatchObject({ state: "assigned" });

    // The queue operations over the same wire: the task waits in builder's queue.
    const queues = await get("queue.list", undefined, tokens.viewer);
    expect(queues.status).toBe(200);
    expect(queues.body.result!.data.json).toEqual(
      expect.arrayContaining([expect.objectContaining({ agent: "builder", assigned: 1 })]),
    );
    const promoted = await post("queue.promote", { taskId: task.id }, tokens.admin);
    expect(promoted.status).toBe(200);
  });

  test("no token is a plain 401 from the gate; a viewer token mutating is 403; bad input 400; unknown 404", async () => {
    const none = await post("task.create", { description: "nope" });
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({
      code: "UNAUTHORIZED",
      message: expect.stringContaining("Authorization: Bearer") as string,
    });
    const forged = await get("task.list", {}, "tt_not-a-real-token");
    expect(forged.status).toBe(401);

    const viewer = await post("task.create", { description: "nope" }, tokens.viewer);
    expect(viewer.status).toBe(403);
    expect(viewer.body.error!.json).toMatchObject({
      message: expect.stringContaining("viewer") as string,
      data: { code: "FORBIDDEN", httpStatus: 403, core: { code: "FORBIDDEN" } },
    });
    const operatorAdmin = await post("queue.pause", { agent: "builder" }, tokens.operator);
    expect(operatorAdmin.status).toBe(403);

    const bad = await post("task.create", { description: "" }, tokens.operator);
    expect(bad.status).toBe(400);
    expect(bad.body.error!.json!.data).toMatchObject({ code: "BAD_REQUEST", core: { code: "VALIDATION" } });

    const missing = await get("task.get", { taskId: "ffffffff" }, tokens.viewer);
    expect(missing.status).toBe(404);
    expect(missing.body.error!.json!.data.core!.code).toBe("NOT_FOUND");

    // Reads need no input object when they take none; a public ping needs no token (its Date comes with a `meta`).
    const ping = await get("health.ping", undefined);
    expect(ping.status).toBe(200);
    expect(ping.body.result!.data.meta).toEqual({ values: { at: ["Date"] }, v: 1 });
    expect((await get("town.status", undefined, tokens.viewer)).status).toBe(200);
  });
});

describe("the procedure table of docs/HTTP-API.md", () => {
  type Kind = "query" | "mutation" | "subscription";
  const procedures = Object.entries(
    appRouter._def.procedures as unknown as Record<string, { _def: { type: Kind } }>,
  ).map(([path, p]) => ({ path, type: p._def.type }));
  /** Rows like: | `task.create` | mutation | operator | … | */
  const rows = [
    ...readFileSync(DOC, "utf8").matchAll(
      /^\| `([a-zA-Z]+\.[a-zA-Z]+)` \| (query|mutation|subscription) \| (public|viewer|operator|admin) \|/gm,
    ),
  ].map((m) => ({
    path: m[1]!,
    type: m[2] as Kind,
    role: m[3] as Role | "public",
  }));

  test("lists every procedure of the router, once, with its kind", () => {
    expect(rows.map((r) => r.path).sort()).toEqual(procedures.map((p) => p.path).sort());
    for (const r of rows) expect(r.type, r.path).toBe(procedures.find((p) => p.path === r.path)!.type);
  });

  test("the role it gives each query and mutation holds: the role below it is refused (403), the role itself is not", async () => {
    const below: Record<Role, Role | null> = { viewer: null, operator: "viewer", admin: "operator" };
    // Inputs that fail validation or name nothing: nothing changes, whatever the outcome past auth.
    const harmless = { agent: "nobody-here", taskId: "ffffffff", mailbox: "nobody-here", name: "", to: "" };
    for (const r of rows.filter((x) => x.type !== "subscription" && x.role !== "public")) {
      const call = r.type === "query" ? get : post;
      const lower = below[r.role as Role];
      if (lower) expect((await call(r.path, harmless, tokens[lower])).status, `${lower} → ${r.path}`).toBe(403);
      expect((await call(r.path, harmless, tokens[r.role as Role])).status, `${r.role} → ${r.path}`).not.toBe(403);
    }
  });
});
