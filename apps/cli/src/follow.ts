/**
 * Follow commands (`tt events -f`, `tt logs -f`, waiting for an agent's next task): they end on the first SIGINT or
 * SIGTERM at once, even while Redis is down (the connections are dropped, so no read holds them up), and an
 * outage is one "Redis unreachable, retrying" line, not a stack trace per reconnect.
 */
import type { Redis } from "ioredis";
import type { Town } from "@tinytown/core";
import type { Ctx } from "./context";

export async function following(
  ctx: Ctx,
  town: Town,
  fn: (signal: AbortSignal, connection: Redis) => Promise<void>,
): Promise<void> {
  const abort = new AbortController();
  const connection = town.blocking();
  let stopped!: () => void;
  // A command waiting for a Redis that is down may never settle (ioredis keeps it queued): on a signal, stop
  // waiting for it instead of waiting for it to fail.
  const stop = new Promise<void>((r) => (stopped = r));
  const offStop = ctx.onStop(() => {
    abort.abort();
    ctx.redis?.disconnectAll();
    stopped();
  });
  const offOutage = ctx.redis?.onOutage(() => {
    if (!ctx.opts().json) ctx.io.err(ctx.paint("yellow", "Redis unreachable, retrying… (Ctrl-C to stop)") + "\n");
  });
  try {
    await Promise.race([fn(abort.signal, connection), stop]);
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    offStop();
    offOutage?.();
  }
}
