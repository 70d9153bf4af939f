/**
 * The source document's walkthrough, verbatim, through the real `tt` binary in a fresh directory with the
 * town's own managed Redis; then `kill -9` of that Redis and nothing lost.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, expect, test } from "vitest";

const bin = join(import.meta.dirname, "..", "bin", "tt.mjs");
const dir = mkdtempSync(join(tmpdir(), "tt-walk-"));
// The walkthrough must use the town's own Redis, never the test server.
const env = { ...process.env, REDIS_URL: undefined, TT_TOWN_DIR: undefined, NO_COLOR: "1" };

function tt(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, env, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

afterAll(() => {
  tt("down");
  rmSync(dir, { recursive: true, force: true });
});

test("the walkthrough works verbatim, and survives kill -9 of the town's Redis", { timeout: 60_000 }, async () => {
  expect(tt("init", "my-project").out).toContain("town my-project initialised");
  const status = tt("status");
  expect(status.code).toBe(0);
  expect(status.out).toMatch(/managed .*redis\.sock .*AOF on/);
  expect(tt("spawn", "worker-1", "--model", "claude").out).toMatch(/spawned worker-1 .*starting/);
  expect(tt("list").out).toMatch(/worker-1\s+\w{8}\s+claude\s+starting/);
  expect(tt("assign", "worker-1", "Implement the login API").code).toBe(0);
  expect(tt("tasks").out).toMatch(/assigned\s+normal\s+worker-1\s+.*Implement the login API/);
  expect(tt("send", "worker-1", "Please update the README").code).toBe(0);
  expect(tt("send", "worker-1", "--urgent", "Critical bug in production!").code).toBe(0);
  const inbox = tt("inbox", "worker-1").out.trim().split("\n");
  expect(inbox[1]).toMatch(/^urgent .*Critical bug in production!/);
  // `tt assign` recorded the seed's task_assign message; the send also woke worker-1 (an inbox round, a task).
  expect(inbox[2]).toMatch(/^normal +task_assign .*assigned to you: Implement the login API/);
  expect(inbox[3]).toMatch(/^normal .*Please update the README/);

  // The keys a user sees with redis-cli on the town's Redis.
  const agent = (JSON.parse(tt("--json", "list").out) as { id: string }[])[0]!;
  const task = (JSON.parse(tt("--json", "tasks").out) as { items: { id: string }[] }).items[0]!;
  const socket = join(dir, ".tt", "redis.sock");
  const keys = execFileSync("redis-cli", ["-s", socket, "--scan", "--pattern", "tt:my-project:*"], {
    encoding: "utf8",
  }).split("\n");
  expect(keys).toContain(`tt:my-project:agent:${agent.id}`);
  expect(keys).toContain(`tt:my-project:task:${task.id}`);
  expect(keys).toContain(`tt:my-project:inbox:${agent.id}`);

  // kill -9 the managed redis-server: the next command brings it back with nothing lost (AOF).
  const pid = Number(readFileSync(join(dir, ".tt", "redis.pid"), "utf8"));
  process.kill(pid, "SIGKILL");
  await new Promise((r) => setTimeout(r, 100));
  const after = tt("--json", "status");
  expect(after.code).toBe(0);
  const s = JSON.parse(after.out) as {
    redis: { pid: number };
    agents: { starting: number };
    tasks: { assigned: number };
  };
  expect(s.redis.pid).not.toBe(pid);
  expect(s.agents.starting).toBe(1);
  expect(s.tasks.assigned).toBe(2); // the login task, and the inbox round the README message woke worker-1 with
  expect(tt("inbox", "worker-1").out).toContain("Critical bug in production!");
  const r = new Redis({ path: socket });
  expect(await r.zcard(`tt:my-project:inbox:${agent.id}`)).toBe(3); // with the task_assign message
  r.disconnect();
});
