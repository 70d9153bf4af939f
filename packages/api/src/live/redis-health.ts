/**
 * Whether the town's Redis answers, as the live streams need to know it: a stream must not look live while nothing
 * can change. The connection's own events tell at once when the socket closes (Redis stopped or killed, `tt down`);
 * a probe (PING, answered within {@link PROBE_TIMEOUT_MS}) every {@link PROBE_EVERY_MS} while anyone watches also
 * catches a Redis that is still connected but does not answer (paused, overloaded).
 */
import type { Town } from "@tinytown/core";

export const PROBE_EVERY_MS = 1_000;
export const PROBE_TIMEOUT_MS = 1_000;

type Listener = () => void;

/** One per town and process (see hub.ts): fires its listeners when the town's Redis is lost. */
export class RedisHealth {
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | null = null;
  private probing = false;
  private readonly onDown = () => this.lost();

  constructor(private readonly town: Town) {}

  /** Whether the connection is up now (a probe may still find it unresponsive). */
  get up(): boolean {
    return this.town.redis.status === "ready";
  }

  /** Calls `fn` once when Redis is lost (at once if it is down now); returns the unregister function. */
  watch(fn: Listener): () => void {
    if (!this.up) {
      queueMicrotask(fn);
      return () => undefined;
    }
    this.listeners.add(fn);
    if (this.listeners.size === 1) this.start();
    return () => {
      if (this.listeners.delete(fn) && this.listeners.size === 0) this.stop();
    };
  }

  private start(): void {
    this.town.redis.on("close", this.onDown);
    this.town.redis.on("end", this.onDown);
    this.timer = setInterval(() => void this.probe(), PROBE_EVERY_MS);
    this.timer.unref();
  }

  private stop(): void {
    this.town.redis.off("close", this.onDown);
    this.town.redis.off("end", this.onDown);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const late = new Promise<"late">((ok) => (timer = setTimeout(() => ok("late"), PROBE_TIMEOUT_MS)));
      const answer = await Promise.race([this.town.redis.ping().catch(() => "failed" as const), late]);
      if (answer !== "PONG") this.lost();
    } finally {
      clearTimeout(timer);
      this.probing = false;
    }
  }

  private lost(): void {
    const all = [...this.listeners];
    this.listeners.clear();
    this.stop();
    for (const fn of all) fn();
  }
}
