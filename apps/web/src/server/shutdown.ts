/**
 * Ending open SSE streams when the server is asked to stop (SIGTERM / SIGINT).
 *
 * `next start` stops on these signals by closing the HTTP server and waiting for every in-flight request, and a
 * subscription never finishes on its own: one open browser tab would keep a stopped server alive forever.
 * On the first signal we abort {@link shutdownSignal} (streams end cleanly, without tRPC's "return" event, so
 * clients reconnect and resume from their last event id) and, should Next still not have exited after
 * {@link EXIT_GRACE_MS} (browsers may reuse a kept-alive socket to the old process), exit with 128 + signal.
 */

const EXIT_GRACE_MS = 3_000;
const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

// On globalThis: each route bundle gets its own copy of this module, but there is one process to stop.
const KEY = Symbol.for("tinytown.web.shutdown");
type ShutdownGlobal = typeof globalThis & { [KEY]?: AbortController };

/** Aborts when the server starts shutting down. Installs the signal handlers on first use. */
export function shutdownSignal(): AbortSignal {
  const g = globalThis as ShutdownGlobal;
  let controller = g[KEY];
  if (!controller) {
    const c = new AbortController();
    for (const [name, number] of Object.entries(SIGNAL_NUMBERS)) {
      process.once(name, () => {
        c.abort(new Error(`server shutting down (${name})`));
        setTimeout(() => process.exit(128 + number), EXIT_GRACE_MS).unref();
      });
    }
    controller = g[KEY] = c;
  }
  return controller.signal;
}
