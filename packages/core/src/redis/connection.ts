import { Redis, type RedisOptions } from "ioredis";
import { CoreError } from "../errors";

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
    throw new CoreError("VALIDATION", `invalid Redis URL "${url}": use redis://host:port or unix:///path/to/redis.sock`);
  }
  if (u.protocol === "unix:" || u.protocol === "redis+unix:") {
    return { path: decodeURIComponent(u.pathname), db: Number(u.searchParams.get("db") ?? 0) };
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new CoreError("VALIDATION", `invalid Redis URL "${url}": the scheme must be redis://, rediss:// or unix://`);
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
  const base = redisOptionsFromUrl(url);
  return new Redis({
    ...base,
    lazyConnect: false,
    connectionName: opts.connectionName,
    maxRetriesPerRequest: opts.blocking ? null : 3,
    enableReadyCheck: true,
    connectTimeout: 5_000,
    blockingTimeout: opts.blocking ? 2_000 : undefined,
    blockingTimeoutGrace: opts.blocking ? 1_000 : undefined,
    autoResendUnfulfilledCommands: !opts.readsOnly,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
  });
}

/** Waits until a connection is ready, or fails with REDIS_UNAVAILABLE naming the target. */
export async function waitReady(redis: Redis, what: string, timeoutMs = 5_000): Promise<void> {
  if (redis.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new CoreError("REDIS_UNAVAILABLE", `cannot reach Redis at ${what} (no answer within ${timeoutMs} ms)`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off("ready", onReady);
    };
    redis.on("ready", onReady);
    // Errors before ready are retried by ioredis; the timeout above bounds the wait.
    redis.on("error", () => {});
  });
}

export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}
