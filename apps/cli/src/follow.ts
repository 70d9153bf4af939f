/**
 * Follow commands (`tt events -f`, `tt logs -f`, waiting for an agent's next task): they end on the first SIGINT or
 * SIGTERM at once, even while Redis is down (the blocking connection is dropped, so no read holds them up), and an
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
  const offStop = ctx.onStop(() => {
    abort.abort();
    connection.disconnect();
  });
  const offOutage = ctx.redis?.onOutage(() => {
    if (!ctx.opts().json) ctx.io.err(ctx.paint("yellow", "Redis unreachable, retrying… (Ctrl-C to stop)") + "\n");
  });
  try {
    await fn(abort.signal, connection);
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    offStop();
    offOutage?.();
  }
}
