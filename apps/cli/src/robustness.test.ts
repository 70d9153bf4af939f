/**
 * Nothing hangs, nothing crashes: bad option values are refused before Redis is touched, errors are JSON under
 * --json, a refused Redis fails fast, a paused one is waited for visibly and within a bound, and a failed init
 * leaves nothing behind. In-process (`run(argv, io)`), on real Redis servers.
 */
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { connectTown, inflightMessages, startTask, takeForRun, type Town } from "@tinytown/core";
import { freePort, startRedisServer, uniqueTownName, type TestRedis } from "@tinytown/core/testing";
import { tt, townDir } from "./testing";

/** A town whose Redis is a closed port: a command that contacted Redis would fail with 5, not 2. */
async function unreachableTown(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "tt-cli-nowhere-"));
  const port = await freePort();
  writeFileSync(
    join(dir, "tinytown.json"),
    JSON.stringify({ name: "nowhere", redis: { url: `redis://127.0.0.1:${port}` } }),
  );
  return dir;
}

describe("every numeric and id option is checked before anything reaches Redis: exit 2, a clear message", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await unreachableTown();
  });

  const cases: [string[], RegExp][] = [
    [["inbox", "w", "--take", "-w", "abc"], /"abc" is not a number of seconds greater than 0/],
    [["inbox", "w", "--take", "-w", "0"], /0 is out of range: give a number of seconds greater than 0/],
    [["inbox", "w", "--take", "-w", "-3"], /"-3" is not a number of seconds/],
    [["inbox", "w", "-n", "abc"], /"abc" is not a whole number from 1 to 1000/],
    [["inbox", "w", "-n", "0"], /0 is out of range: give a whole number from 1 to 1000/],
    [["inbox", "w", "-w", "5"], /--wait only goes with --take/],
    [["events", "-n", "0"], /0 is out of range: give a whole number from 1 to 10000/],
    [["events", "-n", "-1"], /"-1" is not|out of range/],
    [["events", "-n", "abc"], /"abc" is not a whole number/],
    [["events", "--after", "bogus"], /"bogus" is not an event id/],
    [["logs", "w", "-n", "1e3"], /"1e3" is not a whole number/],
    [["tasks", "-n", "5000"], /out of range: give a whole number from 1 to 1000/],
    [["tasks", "--offset", "x"], /"x" is not a whole number/],
    [["tasks", "--state", "done"], /unknown task state "done": use one of pending/],
    [["backlog", "list", "-n", "12abc"], /"12abc" is not a whole number/],
    [["task", "cancel", "abcd", "--expect-version", "v2"], /"v2" is not a whole number/],
    [["assign", "w", "x", "--priority", "asap"], /unknown priority "asap"/],
    [["send", "w", "hi", "--type", "shout"], /unknown message type "shout"/],
    [["list", "--state", "sleeping"], /unknown agent state "sleeping"/],
    [["wait", "w", "--timeout", "soon"], /"soon" is not a number of seconds/],
    [["up", "--runners", "99"], /out of range: give a whole number from 0 to 32/],
    [["ui", "--port", "70000"], /out of range: give a whole number from 1 to 65535/],
    [["ui", "--host", "a b"], /is not a host name or address/],
  ];
  for (const [args, message] of cases) {
    test(args.join(" "), async () => {
      const r = await tt(dir, args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/at .*\.(ts|js):\d+/);
    });
  }

  test("under --json the refusal is JSON on stderr", async () => {
    const r = await tt(dir, ["--json", "events", "-n", "abc"]);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    const body = JSON.parse(r.err) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("USAGE");
    expect(body.error.message).toMatch(/"abc" is not a whole number from 1 to 10000/);
  });
});

describe("errors", () => {
  test("under --json every error is JSON on stderr, with its code and details", async () => {
    const { dir } = await townDir();
    const r = await tt(dir, ["--json", "task", "show", "ffffffff"]);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.err)).toMatchObject({ error: { code: "NOT_FOUND", details: { ref: "ffffffff" } } });
    expect((JSON.parse(r.err) as { error: { message: string } }).error.message).toMatch(/no task "ffffffff"/);
  });

  test("zod's wording never reaches the user: a field and what to do", async () => {
    const { dir } = await townDir();
    const r = await tt(dir, ["spawn", "w", "--model", "sim", "--json"]);
    const id = (JSON.parse(r.out) as { id: string }).id;
    const t = await tt(dir, ["--json", "assign", id, "work"]);
    const taskId = (JSON.parse(t.out) as { id: string }).id;
    const town = await connectTown({ cwd: dir, env: {} });
    await startTask(town, { taskId, agentId: id, by: "runner:x" });
    await town.close();
    const f = await tt(dir, ["task", "complete", taskId, "--result", "x".repeat(70_000)]);
    expect(f.code).toBe(2);
    expect(f.err).toMatch(/invalid completion: result is too long \(at most 65536 characters\)/);
    expect(f.err).not.toMatch(/Too (big|small)|expected string/);
  });

  test("a refused REDIS_URL fails at once and says refused", async () => {
    const dir = await unreachableTown();
    const started = Date.now();
    const r = await tt(dir, ["status"]);
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/?: connection refused/);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  test("a failed tt init --redis-url leaves nothing behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tt-cli-init-"));
    const port = await freePort();
    const r = await tt(dir, ["init", "x", "--redis-url", `redis://127.0.0.1:${port}`]);
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/connection refused/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("a paused Redis (CLIENT PAUSE)", () => {
  let server: TestRedis;
  let dir: string;
  beforeAll(async () => {
    server = await startRedisServer();
    dir = mkdtempSync(join(tmpdir(), "tt-cli-paused-"));
    expect((await tt(dir, ["init", uniqueTownName("pause"), "--redis-url", server.url])).code).toBe(0);
    expect((await tt(dir, ["spawn", "w", "--model", "sim"])).code).toBe(0);
  });
  afterAll(() => server.stop());

  test("tt assign says it is waiting after 1 s and gives up with exit 5 after TT_REDIS_TIMEOUT", async () => {
    const admin = new Redis(server.url);
    await admin.call("CLIENT", "PAUSE", "6000", "WRITE");
    const started = Date.now();
    const r = await tt(dir, ["assign", "w", "during the pause"], { TT_REDIS_TIMEOUT: "2" });
    const took = Date.now() - started;
    await admin.call("CLIENT", "UNPAUSE");
    admin.disconnect();
    expect(r.code).toBe(5);
    expect(r.err).toMatch(
      /waiting for Redis at redis:\/\/127\.0\.0\.1:\d+\/?: no answer for 1 s .*giving up after 2 s/,
    );
    expect(r.err).toMatch(/Redis did not answer in time .* check .* before trying again/);
    expect(took).toBeGreaterThan(1_900);
    expect(took).toBeLessThan(4_000);
  });
});

describe("commands that used to fail or say too little", () => {
  let dir: string;
  beforeAll(async () => {
    ({ dir } = await townDir());
  });

  test('tt send --all "hello everyone" reaches every agent', async () => {
    await tt(dir, ["spawn", "all-a", "--model", "sim"]);
    await tt(dir, ["spawn", "all-b", "--model", "sim"]);
    const r = await tt(dir, ["send", "--all", "hello everyone"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sent to \d+ agent/);
    for (const a of ["all-a", "all-b"]) expect((await tt(dir, ["inbox", a])).out).toContain("hello everyone");
    expect((await tt(dir, ["send", "all-a"])).err).toMatch(/what should all-a be told\?/);
  });

  test("spawning with an uninstalled model warns at once, with the install hint", async () => {
    const r = await tt(dir, ["spawn", "needs-claude", "--model", "claude"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      "warning: model claude needs `claude`, which is not installed here: install Claude Code with `npm install -g @anthropic-ai/claude-code`",
    );
    const j = JSON.parse((await tt(dir, ["--json", "spawn", "needs-codex", "--model", "codex"])).out) as {
      modelAvailability: { ok: boolean; hint: string };
    };
    expect(j.modelAvailability.ok).toBe(false);
    expect(j.modelAvailability.hint).toContain("npm install -g @openai/codex");
    expect((await tt(dir, ["spawn", "simmy", "--model", "sim"])).out).not.toContain("warning");
  });

  test("tt prune moves the unread messages to supervisor and says so", async () => {
    await tt(dir, ["spawn", "leaver", "--model", "sim"]);
    await tt(dir, ["send", "leaver", "one for you"]);
    await tt(dir, ["send", "leaver", "--urgent", "and another"]);
    await tt(dir, ["kill", "leaver"]);
    const r = await tt(dir, ["prune"]);
    expect(r.out).toMatch(/removed leaver\n {2}moved 2 unread message\(s\) of leaver to the supervisor mailbox/);
    const box = await tt(dir, ["inbox", "supervisor"]);
    expect(box.out).toMatch(/urgent .*and another \(for leaver, removed\)/);
    expect(box.out).toMatch(/normal .*one for you \(for leaver, removed\)/);
  });

  test("tt inbox shows the messages a running task holds, and how many more are waiting", async () => {
    const town: Town = await connectTown({ cwd: dir, env: {} });
    try {
      await tt(dir, ["spawn", "holder", "--model", "sim"]);
      await tt(dir, ["send", "holder", "in the prompt"]);
      const task = JSON.parse((await tt(dir, ["--json", "assign", "holder", "work"])).out) as {
        id: string;
        assignedTo: string;
      };
      await startTask(town, { taskId: task.id, agentId: task.assignedTo, by: "runner:x" });
      await takeForRun(town, { agentId: task.assignedTo, taskId: task.id, attempt: 1 });
      // The message sent, and the task_assign that `tt assign` recorded.
      expect((await inflightMessages(town, task.assignedTo)).messages).toHaveLength(2);
      for (let i = 0; i < 5; i++) await tt(dir, ["send", "holder", `later ${i}`]);
      const r = await tt(dir, ["inbox", "holder", "-n", "3"]);
      expect(r.out).toContain(`2 message(s) in the prompt of running task ${task.id.slice(0, 8)} (attempt 1)`);
      expect(r.out).toContain("in the prompt");
      expect(r.out).toMatch(/later 0[\s\S]*later 2/);
      expect(r.out).not.toContain("later 3");
      expect(r.out).toContain("… and 2 more: tt inbox holder -n 5");
    } finally {
      await town.close();
    }
  });
});
