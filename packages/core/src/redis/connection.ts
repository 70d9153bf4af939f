import { Cluster, Redis, type RedisOptions } from "ioredis";
import { CoreError } from "../errors";

/**
 * Redis Cluster is chosen by the URL: `redis+cluster://[user:pass@]host:port[,host:port…]` (or `rediss+cluster://`
 * for TLS) lists seed nodes; the client discovers the rest. A town on such a URL puts all its keys in one hash
 * slot (`tt:{town}:…`, see keys.ts), so its Lua scripts, MULTI and pipelines stay single-slot.
 */
const CLUSTER_URL = /^rediss?\+cluster:\/\//;

export function isClusterUrl(url: string): boolean {
  return CLUSTER_URL.test(url);
}

/** Parses a `redis+cluster://` URL into seed nodes and the options every node connection shares. */
export function clusterOptionsFromUrl(url: string): { nodes: { host: string; port: number }[]; options: RedisOptions } {
  const tls = url.startsWith("rediss+");
  const rest = url.replace(CLUSTER_URL, "");
  const at = rest.lastIndexOf("@");
  const auth = at >= 0 ? rest.slice(0, at) : "";
  const hostList = (at >= 0 ? rest.slice(at + 1) : rest).split(/[/?#]/)[0] ?? "";
  const nodes = hostList
    .split(",")
    .filter(Boolean)
    .map((hp) => {
      const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(hp.trim());
      return { host: m?.[1] || "127.0.0.1", port: m?.[2] ? Number(m[2]) : 6379 };
    });
  if (nodes.length === 0 || nodes.some((n) => !Number.isInteger(n.port) || n.port <= 0 || n.port > 65535)) {
    throw new CoreError("VALIDATION", `invalid Redis Cluster URL "${url}": use redis+cluster://host:port[,host:port…]`);
  }
  const colon = auth.indexOf(":");
  const username = auth ? decodeURIComponent(colon >= 0 ? auth.slice(0, colon) : auth) : "";
  const password = colon >= 0 ? decodeURIComponent(auth.slice(colon + 1)) : "";
  return {
    nodes,
    options: { username: username || undefined, password: password || undefined, tls: tls ? {} : undefined },
  };
}

/**
 * Parses `redis://[user:pass@]host:port[/db]`, `rediss://…`, `unix:///abs/path.sock` or a bare socket path
 * into ioredis options.
 */
export function redisOptionsFromUrl(url: string): RedisOptions {
  if (url.startsWith("/")) return { path: url };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CoreError(
      "VALIDATION",
      `invalid Redis URL "${url}": use redis://host:port or unix:///path/to/redis.sock`,
    );
  }
  if (u.protocol === "unix:" || u.protocol === "redis+unix:") {
    return { path: decodeURIComponent(u.pathname), db: Number(u.searchParams.get("db") ?? 0) };
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new CoreError(
      "VALIDATION",
      `invalid Redis URL "${url}": the scheme must be redis://, rediss://, unix:// or redis+cluster://`,
    );
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: Number.isFinite(db) ? db : 0,
    tls: u.protocol === "rediss:" ? {} : undefined,
  };
}

export interface ConnectOptions {
  /** For connections that issue blocking reads (BZPOPMIN, XREAD BLOCK, BullMQ workers). */
  blocking?: boolean;
  /**
   * Only blocking reads run on it (Town.blocking()): a read in flight when the connection drops is not resent
   * on reconnect. A resent read keeps its old timeout and outlives the client-side guard, so a message it then
   * pops would go to an already-settled command and be lost; dropped instead, the guard settles it and the
   * caller re-issues. Not for connections that also run ordinary commands: those have no guard.
   */
  readsOnly?: boolean;
  connectionName?: string;
}

/**
 * One place for connection settings. Non-blocking connections fail a command after a bounded number of
 * reconnect attempts instead of queueing forever; blocking ones retry indefinitely but have a client-side
 * guard (`blockingTimeout`) so a read that was in flight during a reconnect cannot hang.
 */
export function createRedis(url: string, opts: ConnectOptions = {}): Redis {
  const shared = {
    connectionName: opts.connectionName,
    maxRetriesPerRequest: opts.blocking ? null : 3,
    connectTimeout: 5_000,
    blockingTimeout: opts.blocking ? 2_000 : undefined,
    blockingTimeoutGrace: opts.blocking ? 1_000 : undefined,
    autoResendUnfulfilledCommands: !opts.readsOnly,
  } satisfies RedisOptions;
  const retry = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000);
  if (isClusterUrl(url)) {
    const { nodes, options } = clusterOptionsFromUrl(url);
    const cluster = new Cluster(nodes, {
      lazyConnect: false,
      enableReadyCheck: true,
      clusterRetryStrategy: retry,
      redisOptions: { ...options, ...shared },
    });
    // The one place a Cluster is typed as Redis. Sound for everything the town does: Cluster has the same
    // command API (both are ioredis Commanders: commands, pipeline/multi, defineCommand, duplicate, quit,
    // status, events) and routes each keyed command — EVALSHA by its first key, XREAD/BZPOPMIN by the key — to
    // the node owning the slot; a town's keys share one slot. Keyless node commands (INFO, CLIENT, SCAN) would
    // go to an arbitrary node: callers use `nodeFor(redis, key)` for those.
    return cluster as unknown as Redis;
  }
  return new Redis({
    ...redisOptionsFromUrl(url),
    ...shared,
    lazyConnect: false,
    enableReadyCheck: true,
    retryStrategy: retry,
  });
}

/** True when `redis` is a Cluster client (created by createRedis from a `redis+cluster://` URL). */
export function isCluster(redis: Redis): boolean {
  return (redis as unknown as { isCluster?: boolean }).isCluster === true;
}

/**
 * The connection to the node serving `key`: the client itself on a single server; on a Cluster, the master
 * that owns the key's slot (for keyless node commands such as INFO or CLIENT LIST about a town's data).
 */
export function nodeFor(redis: Redis, key: string): Redis {
  if (!isCluster(redis)) return redis;
  const cluster = redis as unknown as Cluster;
  const masters = cluster.nodes("master");
  const owner = cluster.slots[keySlot(key)]?.[0];
  return masters.find((n) => `${n.options.host}:${n.options.port}` === owner) ?? masters[0] ?? redis;
}

/** The Redis Cluster hash slot of a key (CRC16/XMODEM of the hash tag, or of the whole key, mod 16384). */
export function keySlot(key: string): number {
  const open = key.indexOf("{");
  if (open >= 0) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(key)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** Connection errors that are an answer, not a delay: nothing will change by waiting for them. */
const DEFINITE: Record<string, string> = {
  ECONNREFUSED: "connection refused (nothing listens there: is Redis running?)",
  ENOENT: "connection refused (no socket at that path: is Redis running?)",
  EACCES: "permission denied on the socket",
  ENOTFOUND: "no such host",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

/**
 * Waits until a connection is ready, or fails with REDIS_UNAVAILABLE naming the target: at once when the
 * connection is refused (or the host does not exist), otherwise after `timeoutMs` without an answer.
 */
export async function waitReady(redis: Redis, what: string, timeoutMs = 5_000): Promise<void> {
  if (redis.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string, code?: string) => {
      cleanup();
      reject(new CoreError("REDIS_UNAVAILABLE", `cannot reach Redis at ${what}: ${why}`, code ? { code } : {}));
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onError = (err: Error & { code?: string }) => {
      const why = err.code ? DEFINITE[err.code] : undefined;
      if (why) fail(why, err.code);
      // Other errors before ready (a reset, a timeout) are retried by ioredis; the timer bounds the wait.
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off("ready", onReady);
      redis.off("error", onError);
    };
    redis.on("ready", onReady);
    redis.on("error", onError);
    // Keep an error listener for later errors too (the caller disconnects a connection that failed here).
    redis.on("error", () => {});
  });
}

export function describeRedisUrl(url: string): string {
  if (isClusterUrl(url)) return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}
