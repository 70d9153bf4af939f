/** The real bin (`bin/tt-mcp.mjs` → dist) over stdio, as an MCP client starts it, on a real Redis. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, beforeEach, describe, expect, test } from "vitest";

import { addUser, createToken, readEvents, type Task, type Town } from "@tinytown/core";
import { testRedisUrl, testTown } from "@tinytown/core/testing";

import { TestClient, TOOL_NAMES } from "./helpers";

const BIN = fileURLToPath(new URL("../bin/tt-mcp.mjs", import.meta.url));

let town: Town;
let clients: TestClient[] = [];
beforeEach(async () => {
  town = await testTown({}, "mcp-stdio");
});
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
  await town.close();
});

/** The environment an MCP client config would give: the town by REDIS_URL + TT_TOWN (no town directory needed). */
const townEnv = (extra: Record<string, string> = {}) => ({ REDIS_URL: testRedisUrl(), TT_TOWN: town.name, ...extra });

async function connect(env: Record<string, string>): Promise<{ client: TestClient; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN], env, stderr: "pipe" });
  let err = "";
  transport.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const client = await TestClient.connect(transport);
  clients.push(client);
  return { client, stderr: () => err };
}

/** Runs the bin to its end with stdin closed; for start-up refusals. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stderr }));
    child.stdin.end();
  });
}

describe("stdio", () => {
  test("open on this machine when the town has no users (said on stderr); changes are by TT_ACTOR", async () => {
    const { client, stderr } = await connect(townEnv({ TT_ACTOR: "dana" }));
    expect((await client.client.listTools()).tools.map((t) => t.name)).toEqual(TOOL_NAMES);
    await client.ok("spawn_agent", { name: "w", model: "sim" });
    const task = await client.ok<Task>("create_task", { description: "over stdio", assignTo: "w" });
    expect(task).toMatchObject({ state: "assigned", createdBy: "dana" });
    expect((await client.ok<{ task: Task }>("get_task", { taskId: task.id })).task.id).toBe(task.id);
    expect(stderr()).toContain("open access: the town has no users");
    expect((await readEvents(town)).map((e) => e.by)).toEqual(["dana", "dana"]);
  });

  test("with users, TT_TOKEN is required: without it the server refuses to start and says why", async () => {
    await addUser(town, { name: "alice", role: "admin", password: "correct horse battery", by: "cli" });
    const { code, stderr } = await runToExit(townEnv());
    expect(code).toBe(1);
    expect(stderr).toContain("set TT_TOKEN");
    const bad = await runToExit(townEnv({ TT_TOKEN: "tt_nope" }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("TT_TOKEN is not a valid API token");
  });

  test("with TT_TOKEN, the token's role applies and changes are attributed to it", async () => {
    await addUser(town, { name: "alice", role: "admin", password: "correct horse battery", by: "cli" });
    const { token } = await createToken(town, { name: "claude-desktop", role: "operator", by: "cli" });
    const { client, stderr } = await connect(townEnv({ TT_TOKEN: token }));
    expect(stderr()).toContain("acting as token claude-desktop (operator)");
    const task = await client.ok<Task>("create_task", { description: "with a token" });
    expect(task.createdBy).toBe("token:claude-desktop");
    expect((await client.call("spawn_agent", { name: "w", model: "sim" })).text).toMatch(
      /^FORBIDDEN: token:claude-desktop is an operator/,
    );
  });

  test("requests written just before stdin closes are still answered (then the server exits)", async () => {
    const lines = [
      {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "sh", version: "0" } },
      },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "create_task", arguments: { description: "piped" } },
      },
    ];
    const child = spawn(process.execPath, [BIN], {
      env: { PATH: process.env.PATH, ...townEnv() },
      stdio: ["pipe", "pipe", "ignore"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stdin.end(lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(0);
    const replies = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: number; result: { isError?: boolean } });
    expect(replies.map((r) => r.id)).toEqual([1, 2]);
    expect(replies[1]!.result.isError).toBeUndefined();
    expect((await readEvents(town)).map((e) => e.type)).toEqual(["task.created"]);
  });

  test("--http: serves Streamable HTTP until SIGTERM (exit 128+15)", async () => {
    const child = spawn(process.execPath, [BIN, "--http", "--port", "0"], {
      env: { PATH: process.env.PATH, ...townEnv() },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
        const m = /at (http:\/\/\S+\/mcp)/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.on("exit", () => reject(new Error(`exited early: ${err}`)));
    });
    const client = await TestClient.connect(new StreamableHTTPClientTransport(new URL(url)));
    expect((await client.ok<Task>("create_task", { description: "via the bin" })).createdBy).toBe("mcp");
    await client.close();
    const exited = new Promise((resolve) => child.on("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(143);
    expect(err).toContain("SIGTERM: stopping");
  });

  test("bad arguments: exit 2 with usage", async () => {
    const { code, stderr } = await runArgs(["--bogus"]);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown argument --bogus");
  });
});

function runArgs(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stderr }));
  });
}
