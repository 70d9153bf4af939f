/** The Streamable HTTP transport on a real Redis: an SDK client, bearer tokens, roles, attribution, refusals. */
import { request } from "node:http";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, beforeEach, describe, expect, test } from "vitest";

import { addUser, createToken, readEvents, type Task, type Town } from "@tinytown/core";
import { dumpTown, testTown } from "@tinytown/core/testing";

import { TestClient, TOOL_NAMES } from "../test/helpers";
import { startHttpServer, type RunningHttpServer } from "./http";

let town: Town;
let http: RunningHttpServer;
let clients: TestClient[] = [];
beforeEach(async () => {
  town = await testTown({}, "mcp-http");
  http = await startHttpServer({ town, host: "127.0.0.1", port: 0 });
});
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
  await http.close();
  await town.close();
});

async function connect(token?: string, url = http.url): Promise<TestClient> {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const c = await TestClient.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  clients.push(c);
  return c;
}

/** A raw MCP `initialize` POST, to see the HTTP status. */
function initialize(headers: Record<string, string> = {}, url = http.url): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "0" } },
    }),
  });
}

function statusWithHost(url: string, host: string): Promise<number> {
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: { host, "content-type": "application/json", accept: "application/json, text/event-stream" },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("open access (loopback, no users)", () => {
  test("an SDK client lists the tools, creates a task and moves it onto an agent, without a token", async () => {
    const c = await connect();
    expect((await c.client.listTools()).tools.map((t) => t.name)).toEqual(TOOL_NAMES);
    await c.ok("spawn_agent", { name: "w", model: "sim" });
    const task = await c.ok<Task>("create_task", { description: "over http" });
    const moved = await c.ok<Task>("move_task", {
      taskId: task.id,
      to: "agent",
      agent: "w",
      expectedState: "pending",
      expectedVersion: task.version,
    });
    expect(moved.state).toBe("assigned");
    expect((await c.ok<{ task: Task }>("get_task", { taskId: task.id })).task).toEqual(moved);
    expect((await readEvents(town)).filter((e) => e.type.startsWith("task.")).map((e) => e.by)).toEqual(["mcp", "mcp"]);
  });

  test("a cross-site browser request or a rebound host name is refused", async () => {
    const evil = await initialize({ origin: "http://evil.example" });
    expect(evil.status).toBe(403);
    expect(JSON.stringify(await evil.json())).toContain("cross-site request refused");
    // fetch cannot set Host: a raw request stands for a page whose DNS name was rebound to 127.0.0.1.
    expect(await statusWithHost(http.url, "evil.example:80")).toBe(421);
    expect(await statusWithHost(http.url, `localhost:${new URL(http.url).port}`)).toBe(200);
    expect((await initialize({ origin: new URL(http.url).origin })).status).toBe(200);
  });

  test("only /mcp; anything else is 404", async () => {
    expect((await fetch(new URL("/other", http.url))).status).toBe(404);
  });

  test("an invalid token is refused even with open access", async () => {
    const res = await initialize({ authorization: "Bearer tt_not-a-real-token" });
    expect(res.status).toBe(401);
    expect(JSON.stringify(await res.json())).toContain("not a valid API token");
  });
});

describe("with a user: the same auth and roles as the dashboard", () => {
  let viewerToken: string;
  let operatorToken: string;
  beforeEach(async () => {
    await addUser(town, { name: "alice", role: "admin", password: "correct horse battery", by: "cli" });
    viewerToken = (await createToken(town, { name: "watcher", role: "viewer", by: "alice" })).token;
    operatorToken = (await createToken(town, { name: "ci-bot", role: "operator", by: "alice" })).token;
  });

  test("without a token: 401 with WWW-Authenticate, and the SDK client cannot connect", async () => {
    const res = await initialize();
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="tinytown"');
    const body = (await res.json()) as { error: { message: string; data: { code: string } } };
    expect(body.error.message).toMatch(
      /^UNAUTHORIZED: this town requires sign-in: sign in, or send `Authorization: Bearer <token>`/,
    );
    expect(body.error.data.code).toBe("UNAUTHORIZED");
    await expect(connect()).rejects.toThrow();
  });

  test("a viewer token reads, and create_task is refused (FORBIDDEN) without any change", async () => {
    const c = await connect(viewerToken);
    expect((await c.ok<{ total: number }>("list_tasks")).total).toBe(0);
    const before = await dumpTown(town);
    const r = await c.call("create_task", { description: "not allowed" });
    expect(r.isError).toBe(true);
    expect(r.text).toBe(
      "FORBIDDEN: token:watcher is a viewer; this needs the operator role (ask an admin: tt user role <name> operator)",
    );
    expect(await dumpTown(town)).toEqual(before);
  });

  test("an operator token creates and moves; the events carry `by` = the token's principal", async () => {
    const c = await connect(operatorToken);
    const task = await c.ok<Task>("create_task", { description: "allowed" });
    expect(task.createdBy).toBe("token:ci-bot");
    const cancelled = await c.ok<Task>("move_task", {
      taskId: task.id,
      to: "cancelled",
      expectedState: "pending",
      expectedVersion: task.version,
    });
    expect(cancelled.updatedBy).toBe("token:ci-bot");
    const events = (await readEvents(town)).filter((e) => e.type.startsWith("task."));
    expect(events.map((e) => [e.type, e.by])).toEqual([
      ["task.created", "token:ci-bot"],
      ["task.cancelled", "token:ci-bot"],
    ]);
    const audit = await c.ok<{ events: { type: string }[] }>("list_events", { by: "token:ci-bot" });
    expect(audit.events.map((e) => e.type)).toEqual(["task.cancelled", "task.created"]);
    expect((await c.call("spawn_agent", { name: "w", model: "sim" })).data.error?.code).toBe("FORBIDDEN");
  });

  test("every request is authenticated: a token revoked mid-session stops working at once", async () => {
    const { revokeToken } = await import("@tinytown/core");
    const c = await connect(operatorToken);
    await c.ok("list_tasks");
    await revokeToken(town, { ref: "ci-bot", by: "alice" });
    await expect(c.call("list_tasks")).rejects.toThrow(/401|unauthorized/i);
  });
});

describe("who may reach it, limits and headers (the dashboard's rules)", () => {
  test("forwarding headers from a peer that is not a trusted proxy end open access", async () => {
    const forwarding: Record<string, string>[] = [
      { "x-forwarded-for": "203.0.113.7" },
      { forwarded: "for=203.0.113.7" },
      { "x-real-ip": "1.2.3.4" },
    ];
    for (const h of forwarding) {
      const res = await initialize(h);
      expect(res.status, JSON.stringify(h)).toBe(401);
      expect(JSON.stringify(await res.json())).toContain("forwarding header");
    }
    expect((await initialize()).status).toBe(200);
  });

  test("a body over 1 MiB is a 413, a non-JSON POST a 415, a batch over 20 a 413; every answer has the security headers", async () => {
    const big = await fetch(http.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(2 * 1024 * 1024) } }),
    });
    expect(big.status).toBe(413);
    const form = new FormData();
    form.set("jsonrpc", "2.0");
    const multipart = await fetch(http.url, { method: "POST", body: form });
    expect(multipart.status).toBe(415);
    expect(multipart.headers.get("content-type")).toMatch(/^application\/json/);
    const batch = await fetch(http.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(Array.from({ length: 21 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "ping" }))),
    });
    expect(batch.status).toBe(413);
    for (const res of [big, multipart, batch, await initialize(), await fetch(http.url.replace("/mcp", "/nope"))]) {
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("same-origin");
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    }
  });
});

describe("listening beyond loopback", () => {
  test("even with no users, nothing is allowed without a token, and the error says how to fix it", async () => {
    const exposed = await startHttpServer({ town, host: "0.0.0.0", port: 0 });
    try {
      expect(exposed.exposed).toBe(true);
      const url = exposed.url.replace("0.0.0.0", "127.0.0.1");
      const res = await initialize({}, url);
      expect(res.status).toBe(401);
      expect(JSON.stringify(await res.json())).toContain("tt user add <name> --role admin");
      await addUser(town, { name: "alice", role: "admin", password: "correct horse battery", by: "cli" });
      const { token } = await createToken(town, { name: "remote", role: "operator", by: "cli" });
      const c = await connect(token, url);
      expect((await c.ok<Task>("create_task", { description: "from afar" })).createdBy).toBe("token:remote");
    } finally {
      await exposed.close();
    }
  });
});
