/**
 * The town's own redis-server: data in `.tt/data` with AOF (appendfsync always by default, `redis.appendfsync` in
 * tinytown.json), a unix socket in `.tt/` (or a free loopback port with a random password when the path is too long
 * for a socket), a pidfile, and a log. Started daemonized so it outlives the `tt` command that started it; verified
 * by pid and config file before use. Only the town's owner can read any of it: `.tt/` and the data dir are 0700,
 * their files 0600 (redis-server runs under umask 077).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { Redis } from "ioredis";
import { CoreError } from "../errors";

export const MIN_REDIS_VERSION = [6, 2, 0] as const;
const INSTALL_HINT =
  "install it with `sudo apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis` (macOS), " +
  "or set REDIS_URL to use a Redis you run yourself";

export interface ManagedRedisPaths {
  stateDir: string;
  conf: string;
  pidfile: string;
  log: string;
  dataDir: string;
  socket: string;
  portFile: string;
  /** The password of a managed Redis on TCP (never on the socket, which only the owner can open). */
  passwordFile: string;
}

export function managedPaths(townDir: string): ManagedRedisPaths {
  const stateDir = join(townDir, ".tt");
  return {
    stateDir,
    conf: join(stateDir, "redis.conf"),
    pidfile: join(stateDir, "redis.pid"),
    log: join(stateDir, "redis.log"),
    dataDir: join(stateDir, "data"),
    socket: join(stateDir, "redis.sock"),
    portFile: join(stateDir, "redis.port"),
    passwordFile: join(stateDir, "redis.password"),
  };
}

/** Unix socket paths are limited to 107 bytes on Linux; beyond that the town uses a loopback port. */
const SOCKET_PATH_MAX = 100;

export function redisServerBinary(): string {
  return process.env.TT_REDIS_SERVER ?? "redis-server";
}

/** Checks redis-server is installed and new enough; returns its version. */
export function checkRedisServer(): string {
  const bin = redisServerBinary();
  const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new CoreError(
      "REDIS_NOT_INSTALLED",
      `redis-server is not installed (could not run \`${bin}\`): ${INSTALL_HINT}`,
    );
  }
  const m = /v=(\d+)\.(\d+)\.(\d+)/.exec(r.stdout);
  const v = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  const older = v[0]! < MIN_REDIS_VERSION[0] || (v[0] === MIN_REDIS_VERSION[0] && v[1]! < MIN_REDIS_VERSION[1]);
  if (older) {
    throw new CoreError(
      "REDIS_NOT_INSTALLED",
      `redis-server ${v.join(".")} is too old: Tinytown needs ${MIN_REDIS_VERSION.join(".")} or newer; ${INSTALL_HINT}`,
    );
  }
  return v.join(".");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const q = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

function readPassword(paths: ManagedRedisPaths): string | null {
  try {
    return readFileSync(paths.passwordFile, "utf8").trim() || null;
  } catch {
    return null;
  }
}

/**
 * The URL clients use for the managed Redis (socket, or the recorded port with the password). It carries the
 * password: show it only through describeRedisUrl.
 */
export function managedUrl(paths: ManagedRedisPaths): string | null {
  if (Buffer.byteLength(paths.socket) <= SOCKET_PATH_MAX) return `unix://${paths.socket}`;
  if (!existsSync(paths.portFile)) return null;
  const port = readFileSync(paths.portFile, "utf8").trim();
  const password = readPassword(paths);
  return password ? `redis://:${password}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`;
}

/** `.tt/` and the data dir exist and only the owner can enter them (older towns are tightened too). */
function ensurePrivateDirs(paths: ManagedRedisPaths): void {
  for (const dir of [paths.stateDir, paths.dataDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
}

/** Files a server of an older Tinytown left world-readable: the data (AOF), config, log, pid and port files. */
function tightenFiles(paths: ManagedRedisPaths): void {
  const visit = (path: string) => {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      chmodSync(path, 0o700);
      for (const f of readdirSync(path)) visit(join(path, f));
    } else if (st.isFile()) chmodSync(path, 0o600);
  };
  visit(paths.dataDir);
  for (const f of [paths.conf, paths.log, paths.pidfile, paths.portFile, paths.passwordFile]) visit(f);
}

/** How the managed Redis syncs its AOF: `always` (every write is on disk before it is acknowledged) or `everysec`. */
export type AppendFsync = "always" | "everysec";

async function writeConf(paths: ManagedRedisPaths, appendfsync: AppendFsync): Promise<string> {
  ensurePrivateDirs(paths);
  const useSocket = Buffer.byteLength(paths.socket) <= SOCKET_PATH_MAX;
  let listen: string[];
  let url: string;
  if (useSocket) {
    listen = ["port 0", `unixsocket ${q(paths.socket)}`, "unixsocketperm 700"];
    url = `unix://${paths.socket}`;
  } else {
    // Any local user can reach a loopback port: the server requires a random password, kept in `.tt/`.
    const port = await freePort();
    const password = readPassword(paths) ?? randomBytes(32).toString("hex");
    writeFileSync(paths.passwordFile, password + "\n", { mode: 0o600 });
    writeFileSync(paths.portFile, String(port), { mode: 0o600 });
    listen = [`port ${port}`, "bind 127.0.0.1", `requirepass ${password}`];
    url = `redis://:${password}@127.0.0.1:${port}`;
  }
  const conf = [
    "# Written by Tinytown for this town's managed Redis. Edits are overwritten on the next start.",
    "daemonize yes",
    `pidfile ${q(paths.pidfile)}`,
    `logfile ${q(paths.log)}`,
    `dir ${q(paths.dataDir)}`,
    ...listen,
    "protected-mode yes",
    "appendonly yes",
    `appendfsync ${appendfsync}`,
    'save ""',
    "maxmemory-policy noeviction",
    "",
  ].join("\n");
  writeFileSync(paths.conf, conf, { mode: 0o600 });
  return url;
}

function readPid(paths: ManagedRedisPaths): number | null {
  try {
    const pid = Number(readFileSync(paths.pidfile, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Runs `fn` under umask 077, so the AOF files, log and pidfile redis-server creates are the owner's alone (the
 * child inherits the umask). Where the umask cannot be set (a worker thread), the 0700 state directory still keeps
 * them from other users.
 */
function withPrivateUmask<T>(fn: () => T): T {
  let old: number | null;
  try {
    old = process.umask(0o077);
  } catch {
    old = null;
  }
  try {
    return fn();
  } finally {
    if (old !== null) process.umask(old);
  }
}

/** Whether a process runs. A zombie (killed, not yet reaped, e.g. under a PID 1 that never reaps) is dead. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

function logTail(paths: ManagedRedisPaths, lines = 15): string {
  try {
    return readFileSync(paths.log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Answers whether the server at `url` is this town's own (same pid as the pidfile, same config file). */
async function probe(url: string, paths: ManagedRedisPaths): Promise<"ours" | "foreign" | "down"> {
  const tcp = url.startsWith("unix://") ? null : new URL(url);
  const opts = tcp
    ? { host: "127.0.0.1", port: Number(tcp.port), password: tcp.password || undefined }
    : { path: url.slice("unix://".length) };
  const r = new Redis({
    ...opts,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  r.on("error", () => {});
  try {
    await r.connect();
    const info = await r.info("server");
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    const conf = /config_file:(.*)\r?\n/.exec(info)?.[1]?.trim();
    return pid === readPid(paths) && conf === paths.conf ? "ours" : "foreign";
  } catch {
    return "down";
  } finally {
    r.disconnect();
  }
}

export interface ManagedRedisStatus {
  url: string;
  pid: number;
  started: boolean;
}

/**
 * Makes sure the town's redis-server runs and answers, starting it (AOF replays the data) when needed.
 * Refuses a foreign server on the town's address.
 */
export async function ensureManagedRedis(
  townDir: string,
  opts: { appendfsync?: AppendFsync } = {},
): Promise<ManagedRedisStatus> {
  const paths = managedPaths(townDir);
  const known = managedUrl(paths);
  if (known) {
    const state = await probe(known, paths);
    if (state === "ours") return { url: known, pid: readPid(paths)!, started: false };
    if (state === "foreign") {
      throw new CoreError(
        "REDIS_UNAVAILABLE",
        `another Redis answers at ${known}, which belongs to this town's managed Redis; stop it, or set REDIS_URL to use it on purpose`,
      );
    }
  }
  checkRedisServer();
  // A previous server died without cleaning up (kill -9, reboot): drop its stale socket and pidfile.
  const oldPid = readPid(paths);
  if (oldPid && processAlive(oldPid) && processName(oldPid) === "redis-server") {
    // Still starting (loading a large AOF): give it the chance to answer.
    if (known && (await waitAnswer(known, paths, 10_000))) return { url: known, pid: oldPid, started: false };
  }
  rmSync(paths.socket, { force: true });
  rmSync(paths.pidfile, { force: true });
  const url = await writeConf(paths, opts.appendfsync ?? "always");
  const r = withPrivateUmask(() => spawnSync(redisServerBinary(), [paths.conf], { encoding: "utf8" }));
  if (r.error || r.status !== 0) {
    throw new CoreError(
      "REDIS_UNAVAILABLE",
      `redis-server failed to start (exit ${r.status ?? "?"}):\n${(r.stderr || r.stdout || "").trim()}\n${logTail(paths)}`,
    );
  }
  if (!(await waitAnswer(url, paths, 15_000))) {
    throw new CoreError(
      "REDIS_UNAVAILABLE",
      `redis-server did not come up within 15 s; the end of ${paths.log}:\n${logTail(paths)}`,
    );
  }
  tightenFiles(paths);
  return { url, pid: readPid(paths)!, started: true };
}

async function waitAnswer(url: string, paths: ManagedRedisPaths, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if ((await probe(url, paths)) === "ours") return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function processName(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    try {
      return execFileSync("ps", ["-o", "comm=", "-p", String(pid)], { encoding: "utf8" }).trim();
    } catch {
      return null;
    }
  }
}

/** Stops the town's redis-server by PID (after checking the PID is a redis-server). Returns whether it ran. */
export async function stopManagedRedis(townDir: string, timeoutMs = 10_000): Promise<boolean> {
  const paths = managedPaths(townDir);
  const pid = readPid(paths);
  if (!pid || !processAlive(pid) || !(processName(pid) ?? "").startsWith("redis")) return false;
  process.kill(pid, "SIGTERM");
  const until = Date.now() + timeoutMs;
  while (processAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  if (processAlive(pid)) process.kill(pid, "SIGKILL");
  return true;
}

export function managedRedisPid(townDir: string): number | null {
  const pid = readPid(managedPaths(townDir));
  return pid && processAlive(pid) ? pid : null;
}
