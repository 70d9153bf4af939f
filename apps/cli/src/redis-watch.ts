/**
 * How `tt` behaves when the town's Redis misbehaves. Every command on the main connection gets a bounded time
 * (`commandTimeout`), and when one has had no answer for a second (a `CLIENT PAUSE`, a busy or unreachable server)
 * a single line says what `tt` is waiting for. Connection errors never print ioredis's "Unhandled error event"
 * stacks; follow commands print one "Redis unreachable, retrying" line per outage instead.
 */
import type { Redis } from "ioredis";
import { describeRedisUrl, type Town } from "@tinytown/core";

export interface RedisWatch {
  /** Calls `fn` once per outage of any of the town's connections (again after it has been back). */
  onOutage(fn: () => void): () => void;
  /** Drops every connection at once (after a close that did not finish in time). */
  disconnectAll(): void;
}

/** After this long without an answer to a command, `tt` says it is waiting. */
export const SLOW_NOTICE_MS = 1_000;

export function watchRedis(town: Town, opts: { timeoutMs: number; notice: (s: string) => void }): RedisWatch {
  const conns: Redis[] = [];
  const listeners = new Set<() => void>();
  let down = false;
  const track = (conn: Redis) => {
    if (conns.includes(conn)) return conn;
    conns.push(conn);
    conn.on("error", () => {
      if (down) return;
      down = true;
      for (const fn of listeners) fn();
    });
    conn.on("ready", () => (down = false));
    return conn;
  };
  track(town.redis);
  // The blocking connection is made on first use: watch it too.
  const blocking = town.blocking.bind(town);
  (town as { blocking: () => Redis }).blocking = () => track(blocking());

  const redis = town.redis;
  redis.options.commandTimeout = opts.timeoutMs;
  let told = false;
  const slow = () => {
    // During a known outage the follow commands have said so already.
    if (told || down) return;
    told = true;
    opts.notice(
      `waiting for Redis at ${describeRedisUrl(town.redisUrl)}: no answer for ${SLOW_NOTICE_MS / 1000} s ` +
        `(paused, busy or unreachable); giving up after ${Math.round(opts.timeoutMs / 1000)} s`,
    );
  };
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (...args: Parameters<Redis["sendCommand"]>) => {
    const reply = send(...args) as Promise<unknown>;
    const timer = setTimeout(slow, SLOW_NOTICE_MS);
    timer.unref();
    const clear = () => clearTimeout(timer);
    reply.then(clear, clear);
    return reply;
  };

  return {
    onOutage(fn) {
      listeners.add(fn);
      if (down) fn();
      return () => listeners.delete(fn);
    },
    disconnectAll() {
      for (const c of conns) c.disconnect();
    },
  };
}
