/**
 * The honest state of the tab's live connection, for the header and for what the page lets you do:
 * `connecting` (never live yet), `live`, `reconnecting` (lost just now; the link is retrying) and `offline` (lost for
 * {@link OFFLINE_AFTER_MS}, or the server said the town's Redis is unreachable): changes are paused until it is live.
 * Outside React (a tiny external store), so timers and transitions do not live in effects.
 */
export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

export interface Connection {
  state: ConnectionState;
  /** Why it is offline, in words, or null. */
  reason: string | null;
}

/** How long a lost stream may try to reconnect before the page says it is offline. */
export const OFFLINE_AFTER_MS = 2_000;

/** The subscription's status as `useSubscription` reports it. */
export type SubscriptionStatus = "idle" | "connecting" | "pending" | "error";

export class ConnectionStore {
  private value: Connection = { state: "connecting", reason: null };
  private everLive = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<() => void>();

  readonly get = (): Connection => this.value;

  readonly subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  };

  /** The subscription reported `status` (and maybe an error). */
  update(status: SubscriptionStatus, error: unknown): void {
    if (status === "pending") {
      this.everLive = true;
      this.clearTimer();
      return this.set({ state: "live", reason: null });
    }
    const redis = redisDown(error);
    if (redis) {
      this.clearTimer();
      return this.set({ state: "offline", reason: redis });
    }
    if (this.value.state === "offline") return;
    this.set({ state: this.everLive ? "reconnecting" : "connecting", reason: null });
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.set({ state: "offline", reason: "the dashboard's server (or the town's Redis) does not answer" });
    }, OFFLINE_AFTER_MS);
  }

  dispose(): void {
    this.clearTimer();
    this.listeners.clear();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private set(next: Connection): void {
    if (next.state === this.value.state && next.reason === this.value.reason) return;
    this.value = next;
    for (const fn of this.listeners) fn();
  }
}

/** Whether the stream was refused because this browser must sign in (open access ended, session gone). */
export function needsSignIn(error: unknown): boolean {
  const e = error as { data?: { code?: unknown } | null } | null;
  return e?.data?.code === "UNAUTHORIZED";
}

/** The server's words when the stream ended because the town's Redis is unreachable; null otherwise. */
function redisDown(error: unknown): string | null {
  const e = error as { data?: { code?: unknown; core?: { code?: unknown } | null } | null; message?: unknown } | null;
  if (e?.data?.core?.code === "REDIS_UNAVAILABLE" || e?.data?.code === "SERVICE_UNAVAILABLE")
    return "the town's Redis is unreachable";
  return null;
}
