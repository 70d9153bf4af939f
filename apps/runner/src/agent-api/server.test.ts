/** The agent API server on its own: transport, credential checks and limits, on a real town and real sockets. */
import { mkdirSync, mkdtempSync, statSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { createTask, spawnAgent, startTask, type Town } from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";
import { createLogger } from "../log";
import { AgentApi } from "./server";
import { cleanupAfterEach } from "../../test/helpers";

const cleanup = cleanupAfterEach();

interface Reply {
  status: number;
  body: { data?: Record<string, unknown>; error?: { code: string; message: string } };
}

function post(endpoint: string, op: string, body: string, headers: Record<string, string>): Promise<Reply> {
  const to = endpoint.startsWith("unix:")
    ? { socketPath: endpoint.slice(5) }
    : { host: "127.0.0.1", port: Number(new URL(endpoint).port) };
  return new Promise((resolve, reject) => {
    const req = request({ ...to, method: "POST", path: `/v1/${op}`, headers }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Reply["body"] }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function running(town: Town) {
  const agent = await spawnAgent(town, { name: "worker", model: "sim", by: "cli" });
  const created = await createTask(town, { description: "work", assignTo: "worker", by: "cli" });
  const task = await startTask(town, { taskId: created.id, agentId: agent.id, by: "runner:test" });
  return { agent, task };
}

async function serve(stateDir: string) {
  const town = await testTown();
  cleanup(() => town.close());
  const api = new AgentApi(town, stateDir, createLogger("silent", ""));
  const endpoint = await api.listen();
  cleanup(() => api.close());
  const { agent, task } = await running(town);
  const { token } = api.issue({ agentId: agent.id, agentName: agent.name, taskId: task.id, version: task.version });
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  return { town, api, endpoint, token, auth, task };
}

describe("the agent API server", () => {
  test("a unix socket only its owner can open, in a private directory of the state dir", async () => {
    const state = mkdtempSync(join(tmpdir(), "tt-api-"));
    const { endpoint, auth, task } = await serve(state);
    expect(endpoint).toMatch(new RegExp(`^unix:${join(state, "run")}/agent-api-${process.pid}-[0-9a-f]{8}\\.sock$`));
    const socket = endpoint.slice(5);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(statSync(join(state, "run")).mode & 0o777).toBe(0o700);
    expect(await post(endpoint, "task.show", "{}", auth)).toMatchObject({
      status: 200,
      body: { data: { id: task.id } },
    });
  });

  test("loopback HTTP when the socket path is too long; every bad request is refused with a clear error", async () => {
    let state = mkdtempSync(join(tmpdir(), "tt-api-"));
    while (Buffer.byteLength(state) < 110) state = join(state, "a-rather-long-directory-name");
    mkdirSync(state, { recursive: true });
    const { api, endpoint, auth, token } = await serve(state);
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ok = await post(endpoint, "task.show", "{}", auth);
    expect(ok.status).toBe(200);

    const refused: [string, Promise<Reply>, number, RegExp][] = [
      ["no token", post(endpoint, "task.show", "{}", { "content-type": "application/json" }), 401, /not valid/],
      [
        "unknown token",
        post(endpoint, "task.show", "{}", { ...auth, authorization: `Bearer ${"A".repeat(43)}` }),
        401,
        /not valid/,
      ],
      ["unknown operation", post(endpoint, "user.add", "{}", auth), 404, /no agent operation/],
      ["not JSON", post(endpoint, "task.show", "{", auth), 400, /not valid JSON/],
      ["wrong type", post(endpoint, "task.show", "{}", { ...auth, "content-type": "text/plain" }), 415, /json/],
      ["unknown field", post(endpoint, "task.show", '{"taskId":"x"}', auth), 400, /taskId/],
      ["over 1 MiB", post(endpoint, "message.send", "x".repeat(1024 * 1024 + 1), auth), 413, /1 MiB/],
      ["another task", post(endpoint, "task.show", '{"task":"ffffffff"}', auth), 403, /only act on its own task/],
    ];
    for (const [what, reply, status, message] of refused) {
      const r = await reply;
      expect(r.status, what).toBe(status);
      expect(r.body.error?.message, what).toMatch(message);
    }
    api.revoke(token);
    expect((await post(endpoint, "task.show", "{}", auth)).status).toBe(401);
  });

  test("an inbox wait ends when the run's credential is revoked", async () => {
    const { api, endpoint, auth, token } = await serve(mkdtempSync(join(tmpdir(), "tt-api-")));
    const started = Date.now();
    const wait = post(endpoint, "inbox.read", JSON.stringify({ take: true, waitMs: 60_000 }), auth);
    await new Promise((r) => setTimeout(r, 300));
    api.revoke(token);
    const r = await wait;
    expect(r).toMatchObject({ status: 200, body: { data: { messages: [] } } });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
