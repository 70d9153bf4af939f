/**
 * The managed Redis: `initTown` starts a daemonized redis-server in `.tt/` (unix socket, AOF); a SIGKILLed
 * server comes back on the next `connectTown` with everything acknowledged before the kill.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { expectCoreError, sleep } from "../testing/inspect";
import { spawnAgent, resolveAgent } from "../agent/agent.service";
import { peek, sendMessage } from "../channel/channel";
import { readEvents } from "../channel/events";
import { createTask, getTask, startTask } from "../task/task.service";
import { describeRedisUrl } from "../redis/connection";
import { managedPaths, managedRedisPid } from "./managed-redis";
import { townStatus } from "./status";
import { connectTown, initTown, stopTown, type Town } from "./town";

const dirs: string[] = [];
const towns: Town[] = [];
const pids = new Set<number>();

function tempDir(prefix = "tt-town-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** Keeps track of every town and managed server so that afterAll leaves nothing behind. */
function track(town: Town): Town {
  towns.push(town);
  if (town.dir) {
    const pid = managedRedisPid(town.dir);
    if (pid) pids.add(pid);
  }
  return town;
}

/** Whether a process runs; a zombie (dead, not yet reaped by a lazy PID 1) counts as gone. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

async function untilDead(pid: number, ms = 5_000) {
  const until = Date.now() + ms;
  while (alive(pid) && Date.now() < until) await sleep(20);
  return !alive(pid);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** One inline command on a fresh TCP connection, as any local process could send it; the first reply line. */
function rawCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1", () => sock.write(command + "\r\n"));
    let buf = "";
    sock.on("data", (d) => {
      buf += d.toString();
      if (buf.includes("\r\n")) {
        sock.destroy();
        resolve(buf.split("\r\n")[0]!);
      }
    });
    sock.on("error", reject);
  });
}

/** A loopback port nobody listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

afterAll(async () => {
  await Promise.all(towns.map((t) => t.close().catch(() => undefined)));
  for (const d of dirs) await stopTown(d).catch(() => false);
  for (const pid of pids) {
    if (alive(pid)) process.kill(pid, "SIGKILL");
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("managed Redis", () => {
  test("survives kill -9: connectTown restarts it and AOF brings everything back", async () => {
    const dir = tempDir();
    const town = track(await initTown({ dir, name: "crashy" }));
    const paths = managedPaths(dir);
    expect(town).toMatchObject({ name: "crashy", dir, managed: true });
    expect(town.redisUrl).toBe(`unix://${paths.socket}`);
    expect(existsSync(paths.socket)).toBe(true);
    expect(readFileSync(join(dir, "tinytown.json"), "utf8")).toContain('"name": "crashy"');
    expect(readFileSync(join(dir, ".tt", ".gitignore"), "utf8")).toBe("*\n");
    const status = await townStatus(town);
    expect(status.redis).toMatchObject({ managed: true, aof: true });
    expect(await town.redis.config("GET", "appendfsync")).toEqual(["appendfsync", "always"]);
    expect(readFileSync(paths.conf, "utf8")).toMatch(/^appendfsync always$/m);

    const agent = await spawnAgent(town, { name: "survivor", model: "claude", by: "cli" });
    const task = await createTask(town, {
      description: "must not be lost",
      assignTo: "survivor",
      priority: "high",
      by: "cli",
    });
    const running = await startTask(town, { taskId: task.id, agentId: agent.id, by: "runner:x" });
    const msg = await sendMessage(town, {
      to: "survivor",
      body: "still there?",
      priority: "urgent",
      from: "supervisor",
    });
    const events = await readEvents(town, { count: 1000 });

    // appendfsync always: every acknowledged write is in the AOF file, so kill at once (no waiting for a flush).
    const pid = managedRedisPid(dir)!;
    expect(pid).toBe(status.redis.pid);
    process.kill(pid, "SIGKILL");
    expect(await untilDead(pid)).toBe(true);
    await town.close();

    const again = track(await connectTown({ cwd: dir, env: {} }));
    const newPid = managedRedisPid(dir)!;
    expect(newPid).not.toBe(pid);
    pids.add(newPid);
    expect(await resolveAgent(again, "survivor")).toEqual(agent);
    expect(await getTask(again, task.id)).toEqual(running);
    expect(await peek(again, agent.id)).toEqual([msg]);
    expect(await readEvents(again, { count: 1000 })).toEqual(events);
    expect(await again.redis.hget(again.keys.meta, "name")).toBe("crashy");

    // A second connect finds the running server and does not start another.
    const third = track(await connectTown({ cwd: dir, env: {} }));
    expect(managedRedisPid(dir)).toBe(newPid);
    expect((await townStatus(third)).redis.pid).toBe(newPid);
  });

  test("stopTown takes the town down: connecting says so and starts nothing; only a start brings it back", async () => {
    const dir = tempDir();
    const town = track(await initTown({ dir, name: "stoppable" }));
    await spawnAgent(town, { name: "keeper", model: "sim", by: "cli" });
    const pid = managedRedisPid(dir)!;
    pids.add(pid);
    await town.close();
    expect(await stopTown(dir)).toBe(true);
    expect(alive(pid)).toBe(false);
    expect(managedRedisPid(dir)).toBeNull();
    expect(await stopTown(dir)).toBe(false);

    for (const managedRedis of [undefined, "recover", "connect"] as const) {
      const err = await expectCoreError(() => connectTown({ cwd: dir, env: {}, managedRedis }), "REDIS_UNAVAILABLE");
      expect(err.message).toBe("town stoppable is down (stopped with `tt down`): bring it up with `tt up`");
      expect(err.details).toMatchObject({ down: true });
      expect(managedRedisPid(dir)).toBeNull();
    }
    const back = track(await connectTown({ cwd: dir, env: {}, managedRedis: "start" }));
    pids.add(managedRedisPid(dir)!);
    expect((await resolveAgent(back, "keeper")).model).toBe("sim");
    // Up again: a plain connect works, and after a crash (not a tt down) it restarts the server.
    track(await connectTown({ cwd: dir, env: {} }));
    const crashed = managedRedisPid(dir)!;
    process.kill(crashed, "SIGKILL");
    expect(await untilDead(crashed)).toBe(true);
    await expectCoreError(() => connectTown({ cwd: dir, env: {}, managedRedis: "connect" }), "REDIS_UNAVAILABLE");
    const recovered = track(await connectTown({ cwd: dir, env: {} }));
    pids.add(managedRedisPid(dir)!);
    expect((await resolveAgent(recovered, "keeper")).model).toBe("sim");
  });

  test("redis.appendfsync everysec is written to redis.conf; a bad value is refused with the field named", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "tinytown.json"), JSON.stringify({ name: "speedy", redis: { appendfsync: "everysec" } }));
    const town = track(await connectTown({ cwd: dir, env: {}, managedRedis: "start" }));
    pids.add(managedRedisPid(dir)!);
    expect(readFileSync(managedPaths(dir).conf, "utf8")).toMatch(/^appendfsync everysec$/m);
    expect(await town.redis.config("GET", "appendfsync")).toEqual(["appendfsync", "everysec"]);
    // Switched back in the config: `tt up` (start) applies it to the running server.
    writeFileSync(join(dir, "tinytown.json"), JSON.stringify({ name: "speedy", redis: { appendfsync: "always" } }));
    const again = track(await connectTown({ cwd: dir, env: {}, managedRedis: "start" }));
    expect(await again.redis.config("GET", "appendfsync")).toEqual(["appendfsync", "always"]);
    writeFileSync(join(dir, "tinytown.json"), JSON.stringify({ name: "speedy", redis: { appendfsync: "sometimes" } }));
    const err = await expectCoreError(() => connectTown({ cwd: dir, env: {} }), "VALIDATION");
    expect(err.message).toContain("redis.appendfsync must be one of: always, everysec");
  });

  test("an unreachable --redis-url: init fails fast saying refused, and leaves nothing behind", async () => {
    const dir = tempDir();
    const port = await closedPort();
    const started = Date.now();
    const err = await expectCoreError(
      () => initTown({ dir, name: "nowhere", redisUrl: `redis://127.0.0.1:${port}` }),
      "REDIS_UNAVAILABLE",
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(err.message).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/?: connection refused/);
    expect(readdirSync(dir)).toEqual([]);
  });

  test("initTown twice without force → ALREADY_EXISTS; with force it rewrites the config", async () => {
    const dir = tempDir();
    track(await initTown({ dir, name: "once" }));
    const err = await expectCoreError(() => initTown({ dir, name: "twice" }), "ALREADY_EXISTS");
    expect(err.message).toContain(dir);
    expect(readFileSync(join(dir, "tinytown.json"), "utf8")).toContain('"name": "once"');
    const forced = track(await initTown({ dir, name: "twice", force: true }));
    expect(forced.name).toBe("twice");
  });

  test("connectTown from a subdirectory finds the town; a plain directory → NOT_A_TOWN", async () => {
    const dir = tempDir();
    track(await initTown({ dir }));
    const sub = join(dir, "src", "deep");
    mkdirSync(sub, { recursive: true });
    const found = track(await connectTown({ cwd: sub, env: {} }));
    expect(found.dir).toBe(dir);
    expect(found.name).toMatch(/^tt-town-/);

    const plain = tempDir("tt-plain-");
    const err = await expectCoreError(() => connectTown({ cwd: plain, env: {} }), "NOT_A_TOWN");
    expect(err.message).toContain("tt init");
  });

  test("invalid town names → VALIDATION, nothing created", async () => {
    const dir = tempDir();
    await expectCoreError(() => initTown({ dir, name: "Bad Name!" }), "VALIDATION");
    expect(existsSync(join(dir, "tinytown.json"))).toBe(false);
    expect(existsSync(join(dir, ".tt"))).toBe(false);
  });

  test("a directory too deep for a unix socket falls back to a loopback TCP port", async () => {
    let dir = tempDir();
    while (Buffer.byteLength(join(dir, ".tt", "redis.sock")) <= 110) dir = join(dir, "a-rather-long-directory-name");
    mkdirSync(dir, { recursive: true });
    const town = track(await initTown({ dir, name: "deep" }));
    const port = readFileSync(managedPaths(dir).portFile, "utf8").trim();
    const password = readFileSync(managedPaths(dir).passwordFile, "utf8").trim();
    expect(town.redisUrl).toBe(`redis://:${password}@127.0.0.1:${port}`);
    expect(existsSync(managedPaths(dir).socket)).toBe(false);
    await spawnAgent(town, { name: "deep-agent", model: "claude", by: "cli" });
    const pid = managedRedisPid(dir)!;
    pids.add(pid);
    process.kill(pid, "SIGKILL");
    expect(await untilDead(pid)).toBe(true);
    await town.close();
    const back = track(await connectTown({ cwd: dir, env: {} }));
    expect(back.redisUrl).toMatch(new RegExp(`^redis://:${password}@127\\.0\\.0\\.1:\\d+$`));
    expect((await resolveAgent(back, "deep-agent")).name).toBe("deep-agent");
    pids.add(managedRedisPid(dir)!);
  });
  test("`.tt/` and the data dir are 0700; the config, log, pidfile and every AOF file redis-server wrote are 0600", async () => {
    const dir = tempDir();
    const town = track(await initTown({ dir, name: "private" }));
    await spawnAgent(town, { name: "writer", model: "sim", by: "cli" });
    const paths = managedPaths(dir);
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(paths.stateDir)).toBe(0o700);
    expect(mode(paths.dataDir)).toBe(0o700);
    for (const f of [paths.conf, paths.log, paths.pidfile]) expect(mode(f), f).toBe(0o600);
    const files = filesUnder(paths.dataDir);
    expect(files.some((f) => /\.aof|manifest/.test(f))).toBe(true);
    for (const f of files) expect(mode(f), f).toBe(0o600);
  });

  test("on loopback TCP the managed Redis needs its random password: another process without it gets NOAUTH", async () => {
    let dir = tempDir();
    while (Buffer.byteLength(join(dir, ".tt", "redis.sock")) <= 110) dir = join(dir, "a-rather-long-directory-name");
    mkdirSync(dir, { recursive: true });
    const town = track(await initTown({ dir, name: "guarded" }));
    const paths = managedPaths(dir);
    const password = readFileSync(paths.passwordFile, "utf8").trim();
    expect(password).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(paths.passwordFile).mode & 0o777).toBe(0o600);
    expect(statSync(paths.portFile).mode & 0o777).toBe(0o600);
    const port = Number(readFileSync(paths.portFile, "utf8"));
    expect(await rawCommand(port, "GET anything")).toMatch(/^-NOAUTH/);
    expect(await rawCommand(port, "AUTH wrong-password")).toMatch(/^-(WRONGPASS|ERR invalid password)/);
    expect(await rawCommand(port, `AUTH ${password}`)).toBe("+OK");
    // The URL carries the password; what is shown of it never does.
    expect(describeRedisUrl(town.redisUrl)).not.toContain(password);
    expect(JSON.stringify(await townStatus(town))).not.toContain(password);
    pids.add(managedRedisPid(dir)!);
  });
});
