/**
 * The shutdown manager: register handlers once; the first SIGTERM/SIGINT runs them all (in order, each at most
 * once) within a time limit, then exits with 128 + the signal number. A second signal while stopping is
 * logged and ignored; the time limit bounds a handler that hangs.
 */
import { constants } from "node:os";

export type ShutdownHandler = (signal: NodeJS.Signals) => Promise<void>;

export interface ShutdownManager {
  register(name: string, fn: ShutdownHandler): void;
  /** Runs the handlers (as if `signal` arrived) and resolves with the exit code; idempotent. */
  shutdown(signal: NodeJS.Signals): Promise<number>;
}

export function createShutdownManager(opts: {
  timeoutMs: number;
  log?: (msg: string) => void;
  exit?: (code: number) => void;
  signals?: NodeJS.Signals[];
}): ShutdownManager {
  const handlers: { name: string; fn: ShutdownHandler }[] = [];
  const log = opts.log ?? ((m: string) => process.stderr.write(m + "\n"));
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let running: Promise<number> | null = null;

  const shutdown = (signal: NodeJS.Signals): Promise<number> => {
    if (running) {
      log(`${signal} again: already shutting down`);
      return running;
    }
    const code = 128 + (constants.signals[signal] ?? 15);
    running = (async () => {
      const timer = setTimeout(() => {
        log(`shutdown took longer than ${opts.timeoutMs} ms: exiting anyway`);
        exit(code);
      }, opts.timeoutMs);
      timer.unref();
      for (const h of handlers) {
        try {
          await h.fn(signal);
        } catch (err) {
          log(`shutdown step ${h.name} failed: ${String(err)}`);
        }
      }
      clearTimeout(timer);
      return code;
    })();
    return running;
  };

  for (const sig of opts.signals ?? (["SIGTERM", "SIGINT"] as NodeJS.Signals[])) {
    process.on(sig, () => void shutdown(sig).then(exit));
  }
  return {
    register(name, fn) {
      if (handlers.some((h) => h.name === name)) return;
      handlers.push({ name, fn });
    },
    shutdown,
  };
}
