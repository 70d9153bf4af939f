import { userInfo } from "node:os";
import { resolve } from "node:path";
import { connectTown, type ManagedRedisMode, type Town } from "@tinytown/core";
import { painter, type IO } from "./output";
import { watchRedis, type RedisWatch } from "./redis-watch";

export interface GlobalOptions {
  town?: string;
  json?: boolean;
}

/** What every command gets: output, the global options, and the town (connected on first use). */
export interface Ctx {
  io: IO;
  paint: ReturnType<typeof painter>;
  opts: () => GlobalOptions;
  /** Who is acting: the agent inside an agent process, else the user. */
  actor: string;
  /**
   * The town, connected on first use. Only the commands that bring a town up (`tt up`, `tt ui`) pass
   * `managedRedis: "start"`; the others never start a managed Redis that was stopped with `tt down`.
   */
  town(opts?: { managedRedis?: ManagedRedisMode }): Promise<Town>;
  /** The town's directory for commands that work without Redis (`--town`, TT_TOWN_DIR, or the cwd). */
  townEnv(): { cwd: string; env: Record<string, string | undefined> };
  /** Watches the town's connections (outage notices); set once the town is connected. */
  redis: RedisWatch | null;
  /** Prints `data` as JSON with --json, otherwise calls `human`. */
  emit(data: unknown, human: () => string): void;
  /** The exit code when the action returns without an error (default 0): 130/143 after Ctrl-C/SIGTERM. */
  exitCode?: number;
  /**
   * Calls `stop` on the first SIGINT or SIGTERM (and sets the exit code to 128 + signal); a second one kills `tt`
   * the usual way. Returns a function that removes the handlers.
   */
  onStop(stop: () => void): () => void;
  close(): Promise<void>;
}

/** Seconds a Redis command may take before `tt` gives up with exit 5 (a paused or stuck Redis); TT_REDIS_TIMEOUT. */
export const DEFAULT_REDIS_TIMEOUT_SEC = 30;

export function createCtx(io: IO, opts: () => GlobalOptions): Ctx {
  let town: Promise<Town> | null = null;
  const actor = io.env.TT_AGENT ?? io.env.TT_ACTOR ?? safeUser();
  const townEnv = () => {
    const dir = opts().town;
    return {
      cwd: dir ? resolve(io.cwd, dir) : io.cwd,
      env: dir ? { ...io.env, TT_TOWN_DIR: resolve(io.cwd, dir) } : io.env,
    };
  };
  const ctx: Ctx = {
    io,
    paint: painter(io),
    opts,
    actor,
    redis: null,
    townEnv,
    town(o = {}) {
      town ??= connectTown({ ...townEnv(), managedRedis: o.managedRedis }).then((t) => {
        const timeout = Number(io.env.TT_REDIS_TIMEOUT ?? DEFAULT_REDIS_TIMEOUT_SEC);
        ctx.redis = watchRedis(t, {
          timeoutMs: (Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_REDIS_TIMEOUT_SEC) * 1000,
          notice: (s) => {
            if (!opts().json) io.err(ctx.paint("yellow", s) + "\n");
          },
        });
        return t;
      });
      return town;
    },
    emit(data, human) {
      if (opts().json) io.out(JSON.stringify(data, null, 2) + "\n");
      else io.out(human());
    },
    onStop(stop) {
      const handler = (signal: NodeJS.Signals) => {
        off();
        ctx.exitCode = signal === "SIGINT" ? 130 : 143;
        stop();
      };
      const off = () => {
        process.off("SIGINT", handler);
        process.off("SIGTERM", handler);
      };
      process.on("SIGINT", handler);
      process.on("SIGTERM", handler);
      return off;
    },
    async close() {
      const t = town ? await town.catch(() => null) : null;
      if (!t) return;
      // Stopped by a signal: leave at once (a Redis that is down would only delay a polite close).
      if (ctx.exitCode === 130 || ctx.exitCode === 143) return ctx.redis?.disconnectAll();
      // A Redis that is gone or paused must not hold `tt` up: close politely for a moment, then just disconnect.
      const closed = await Promise.race([
        t.close().then(
          () => true,
          () => false,
        ),
        new Promise<false>((r) => setTimeout(() => r(false), 1_000).unref()),
      ]);
      if (!closed) ctx.redis?.disconnectAll();
    },
  };
  return ctx;
}

function safeUser(): string {
  try {
    return userInfo().username || "cli";
  } catch {
    return "cli";
  }
}
