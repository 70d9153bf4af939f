import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
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
import { ensureManagedRedis, stopManagedRedis } from "./managed-redis";
import { closeQueues } from "../dispatch/dispatch";
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
  // `.tt/` holds the town's data and secrets: only its owner may enter it.
  mkdirSync(join(dir, STATE_DIR), { recursive: true, mode: 0o700 });
  chmodSync(join(dir, STATE_DIR), 0o700);
  // `.tt/` holds the Redis data, socket and logs: never commit it.
  writeFileSync(join(dir, STATE_DIR, ".gitignore"), "*\n");
  const { $schema: _s, ...body } = config;
  writeFileSync(
    file,
    JSON.stringify(
      { name: body.name, ...(input.redisUrl ? { redis: { url: input.redisUrl } } : {}), models: {}, ...workspace },
      null,
      2,
    ) + "\n",
  );
  const town = await openTown(dir, config, { env: {} });
  await town.redis.hset(town.keys.meta, { name: config.name, createdAt: Date.now(), dir });
  return town;
}

export interface ConnectTownInput {
  /** Directory to search for tinytown.json (upwards); default: the current directory. */
  cwd?: string;
  /** Environment: REDIS_URL overrides the config; TT_TOWN + REDIS_URL work without a config file (agents). */
  env?: Record<string, string | undefined>;
}

/**
 * Connects to the town found from `cwd` upwards, starting its managed Redis if it is not running.
 * Inside an agent process (TT_TOWN and REDIS_URL set) no config file is needed.
 */
export async function connectTown(input: ConnectTownInput = {}): Promise<Town> {
  const env = input.env ?? process.env;
  const cwd = resolve(input.cwd ?? process.cwd());
  const dir = env.TT_TOWN_DIR ? resolve(env.TT_TOWN_DIR) : findTownDir(cwd);
  if (!dir || !existsSync(join(dir, CONFIG_FILE))) {
    if (env.TT_TOWN && env.REDIS_URL) {
      return openTown(null, parseConfig({ name: env.TT_TOWN, redis: { url: env.REDIS_URL } }), { env });
    }
    throw new CoreError(
      "NOT_A_TOWN",
      `${dir ?? cwd} is not in a town (no ${CONFIG_FILE} here or above): run \`tt init <name>\` first, or pass --town <dir>`,
      {
        dir: dir ?? cwd,
      },
    );
  }
  return openTown(dir, readConfig(dir), { env });
}

async function openTown(
  dir: string | null,
  config: TownConfig,
  opts: { env: Record<string, string | undefined> },
): Promise<Town> {
  const external = opts.env.REDIS_URL ?? config.redis.url;
  let url: string;
  let managed = false;
  if (external) url = external;
  else if (dir) {
    url = (await ensureManagedRedis(dir)).url;
    managed = true;
  } else throw new CoreError("VALIDATION", "no Redis: set REDIS_URL or run inside a town directory");
  return townOnRedis({ name: config.name, dir, config, url, managed });
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
    async close() {
      await closeQueues(town);
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

/** Stops the town's managed Redis (its data stays in `.tt/data`). */
export async function stopTown(dir: string): Promise<boolean> {
  return stopManagedRedis(dir);
}
