import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { Redis } from "ioredis";
import { CoreError } from "../errors";
import { createRedis, describeRedisUrl, isClusterUrl, waitReady } from "../redis/connection";
import { townKeys, type TownKeys } from "../redis/keys";
import {
  CONFIG_FILE,
  findTownDir,
  parseConfig,
  readConfig,
  STATE_DIR,
  type TownConfig,
  type TownConfigInput,
  TownName,
} from "./config";
import { ensureManagedRedis, managedRedisPid, stopManagedRedis } from "./managed-redis";
import { detectBaseBranch } from "../workspace/repo";

/**
 * The Town: config, the Redis connection, and the handle every core function takes first.
 * Blocking reads get their own connection (`blocking()`), created on first use, so they never stall commands.
 */
export interface Town {
  readonly name: string;
  /** The directory holding tinytown.json; null for a town reached only through REDIS_URL + TT_TOWN. */
  readonly dir: string | null;
  readonly config: TownConfig;
  readonly redisUrl: string;
  /** True when this town runs its own redis-server in `.tt/`. */
  readonly managed: boolean;
  readonly redis: Redis;
  readonly keys: TownKeys;
  blocking(): Redis;
  /** Registers something to close with the town (e.g. the BullMQ queues dispatch opened on its connection). */
  onClose(fn: () => Promise<unknown>): void;
  /** Closes what was registered with `onClose`, then the town's connections. */
  close(): Promise<void>;
}

export interface InitTownInput {
  dir: string;
  name?: string;
  force?: boolean;
  /** Use this Redis instead of starting a managed one. */
  redisUrl?: string;
}

/** Creates tinytown.json and `.tt/` in `dir`, starts the managed Redis (unless a URL is given), and connects. */
export async function initTown(input: InitTownInput): Promise<Town> {
  const dir = resolve(input.dir);
  const name = TownName.safeParse(
    input.name ??
      basename(dir)
        .toLowerCase()
        .replace(/[^a-z0-9._-]/g, "-"),
  );
  if (!name.success)
    throw new CoreError(
      "VALIDATION",
      `invalid town name "${input.name ?? basename(dir)}": ${name.error.issues[0]?.message}`,
    );
  const file = join(dir, CONFIG_FILE);
  if (existsSync(file) && !input.force) {
    throw new CoreError(
      "ALREADY_EXISTS",
      `a town is already initialised in ${dir} (${CONFIG_FILE}); use --force to overwrite its config`,
      { dir },
    );
  }
  // Inside a git repository, tasks will start from (and merge into) the branch checked out now.
  const base = await detectBaseBranch(dir);
  const workspace = base ? { workspace: { base } } : {};
  const config = parseConfig({
    name: name.data,
    ...(input.redisUrl ? { redis: { url: input.redisUrl } } : {}),
    ...workspace,
  });
  const stateDir = join(dir, STATE_DIR);
  const write = () => {
    // `.tt/` holds the town's data and secrets: only its owner may enter it.
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    chmodSync(stateDir, 0o700);
    // `.tt/` holds the Redis data, socket and logs: never commit it.
    writeFileSync(join(stateDir, ".gitignore"), "*\n");
    const body = {
      name: config.name,
      ...(input.redisUrl ? { redis: { url: input.redisUrl } } : {}),
      models: {},
      ...workspace,
    };
    writeFileSync(file, JSON.stringify(body, null, 2) + "\n");
  };
  let town: Town;
  if (input.redisUrl) {
    // Reach the Redis first: a URL that does not answer leaves nothing behind.
    town = await townOnRedis({ name: config.name, dir, config, url: input.redisUrl });
    try {
      write();
    } catch (err) {
      await town.close();
      throw err;
    }
  } else {
    const before = { config: existsSync(file) ? readFileSync(file) : null, stateDir: existsSync(stateDir) };
    write();
    try {
      town = await openTown(dir, config, { env: {}, mode: "start" });
    } catch (err) {
      // Put the directory back as it was: a failed init leaves nothing behind.
      if (before.config) writeFileSync(file, before.config);
      else rmSync(file, { force: true });
      if (!before.stateDir) rmSync(stateDir, { recursive: true, force: true });
      throw err;
    }
  }
  await town.redis.hset(town.keys.meta, { name: config.name, createdAt: Date.now(), dir });
  return town;
}

/**
 * What connecting does about a managed Redis that is not running:
 * - `start`: start it (`tt up`, `tt init`, `tt ui`): afterwards the town is up, even after `tt down`;
 * - `recover` (the default): start it again after a crash, but not after `tt down` (the town is down on purpose:
 *   REDIS_UNAVAILABLE saying so and how to bring it up);
 * - `connect`: never start it; REDIS_UNAVAILABLE when it is not running.
 */
export type ManagedRedisMode = "start" | "recover" | "connect";

export interface ConnectTownInput {
  /** Directory to search for tinytown.json (upwards); default: the current directory. */
  cwd?: string;
  /** Environment: REDIS_URL overrides the config; TT_TOWN + REDIS_URL work without a config file (agents). */
  env?: Record<string, string | undefined>;
  /** What to do when the town's managed Redis is not running (default `recover`); see ManagedRedisMode. */
  managedRedis?: ManagedRedisMode;
}

/** The town directory found from `cwd` upwards (or TT_TOWN_DIR), with its config; null when there is none. */
export function findTown(
  input: Omit<ConnectTownInput, "managedRedis"> = {},
): { dir: string; config: TownConfig } | null {
  const env = input.env ?? process.env;
  const dir = env.TT_TOWN_DIR ? resolve(env.TT_TOWN_DIR) : findTownDir(resolve(input.cwd ?? process.cwd()));
  if (!dir || !existsSync(join(dir, CONFIG_FILE))) return null;
  return { dir, config: readConfig(dir) };
}

/**
 * Connects to the town found from `cwd` upwards; its managed Redis is started or not as `managedRedis` says.
 * Inside an agent process (TT_TOWN and REDIS_URL set) no config file is needed.
 */
export async function connectTown(input: ConnectTownInput = {}): Promise<Town> {
  const env = input.env ?? process.env;
  const found = findTown(input);
  if (found) return openTown(found.dir, found.config, { env, mode: input.managedRedis ?? "recover" });
  if (env.TT_TOWN && env.REDIS_URL) {
    return openTown(null, parseConfig({ name: env.TT_TOWN, redis: { url: env.REDIS_URL } }), { env, mode: "connect" });
  }
  const where = env.TT_TOWN_DIR ? resolve(env.TT_TOWN_DIR) : resolve(input.cwd ?? process.cwd());
  throw new CoreError(
    "NOT_A_TOWN",
    `${where} is not in a town (no ${CONFIG_FILE} here or above): run \`tt init <name>\` first, or pass --town <dir>`,
    { dir: where },
  );
}

/** `.tt/down`: written by stopTown, so that only an explicit start brings a town that was taken down back. */
const downMarker = (dir: string) => join(dir, STATE_DIR, "down");

/** True when the town was taken down with stopTown (`tt down`) and not started since. */
export function townIsDown(dir: string): boolean {
  return existsSync(downMarker(dir));
}

async function openTown(
  dir: string | null,
  config: TownConfig,
  opts: { env: Record<string, string | undefined>; mode: ManagedRedisMode },
): Promise<Town> {
  const external = opts.env.REDIS_URL ?? config.redis.url;
  if (external) return townOnRedis({ name: config.name, dir, config, url: external });
  if (!dir) throw new CoreError("VALIDATION", "no Redis: set REDIS_URL or run inside a town directory");
  const { mode } = opts;
  if (mode !== "start" && managedRedisPid(dir) === null) {
    if (mode === "connect" || townIsDown(dir)) {
      const down = townIsDown(dir);
      throw new CoreError(
        "REDIS_UNAVAILABLE",
        down
          ? `town ${config.name} is down (stopped with \`tt down\`): bring it up with \`tt up\``
          : `the Redis of town ${config.name} is not running: bring the town up with \`tt up\``,
        { down, dir, town: config.name },
      );
    }
  }
  const status = await ensureManagedRedis(dir, { appendfsync: config.redis.appendfsync });
  if (mode === "start") rmSync(downMarker(dir), { force: true });
  const town = await townOnRedis({ name: config.name, dir, config, url: status.url, managed: true });
  if (mode === "start" && !status.started) await applyAppendFsync(town);
  return town;
}

/** Brings a running managed Redis in line with `redis.appendfsync` (a new start reads it from redis.conf). */
async function applyAppendFsync(town: Town): Promise<void> {
  const [, current] = (await town.redis.config("GET", "appendfsync")) as [string, string];
  if (current !== town.config.redis.appendfsync)
    await town.redis.config("SET", "appendfsync", town.config.redis.appendfsync);
}

/** Builds a Town on an already-running Redis (also used by tests with unique town names). */
export async function townOnRedis(opts: {
  name: string;
  url: string;
  config?: Partial<TownConfigInput>;
  dir?: string | null;
  managed?: boolean;
}): Promise<Town> {
  const config = parseConfig({ ...opts.config, name: opts.name });
  let url = opts.url;
  let redis = await connect(url, opts.name);
  if (
    config.redis.cluster &&
    /^rediss?:\/\//.test(url) &&
    /^cluster_enabled:1/m.test(await redis.info("cluster").catch(() => ""))
  ) {
    // `redis.cluster: true` with a plain URL of a cluster node: reconnect as a Cluster client, and hand the
    // cluster URL on (runners, agents' REDIS_URL) so that every connection made from town.redisUrl is one too.
    redis.disconnect();
    url = url.replace(/^redis(s?):\/\//, "redis$1+cluster://");
    redis = await connect(url, opts.name);
  }
  let blocking: Redis | null = null;
  const closers: (() => Promise<unknown>)[] = [];
  const town: Town = {
    name: config.name,
    dir: opts.dir ?? null,
    config,
    redisUrl: url,
    managed: opts.managed ?? false,
    redis,
    // A cluster URL implies hash tags: without them a town's keys would spread over slots and its scripts fail.
    keys: townKeys(config.name, { hashTag: config.redis.cluster || isClusterUrl(url) }),
    blocking() {
      blocking ??= createRedis(url, { blocking: true, readsOnly: true, connectionName: `tt:${opts.name}:blocking` });
      return blocking;
    },
    onClose(fn) {
      closers.push(fn);
    },
    async close() {
      await Promise.all(closers.splice(0).map((fn) => fn().catch(() => undefined)));
      const conns = [redis, blocking].filter((c): c is Redis => c !== null);
      await Promise.all(conns.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
  return town;
}

async function connect(url: string, name: string): Promise<Redis> {
  const redis = createRedis(url, { connectionName: `tt:${name}` });
  try {
    await waitReady(redis, describeRedisUrl(url));
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  return redis;
}

/**
 * Takes the town down: stops its managed Redis (its data stays in `.tt/data`) and marks it down, so that only
 * an explicit start (`tt up`) brings it back, never a command that merely connects. Returns whether Redis ran.
 */
export async function stopTown(dir: string): Promise<boolean> {
  mkdirSync(join(dir, STATE_DIR), { recursive: true });
  writeFileSync(downMarker(dir), JSON.stringify({ at: Date.now() }) + "\n");
  return stopManagedRedis(dir);
}
