// How the dashboard is launched: the one place that says it, for `npm start`, the browser tests, `tt ui` and the
// demos. Run `command` with `args` (cwd anywhere; TT_TOWN_DIR or `town` names the town).
import { fileURLToPath } from "node:url";

/** The dashboard's entry script (apps/web/server.mjs). */
export const WEB_SERVER = fileURLToPath(new URL("./server.mjs", import.meta.url));

/**
 * The command that runs the dashboard on `host`:`port` (defaults 127.0.0.1:3000; port 0 picks a free one).
 * @param {{ host?: string, port?: number | string, town?: string, dev?: boolean }} [opts]
 * @returns {{ command: string, args: string[] }}
 */
export function webCommand(opts = {}) {
  const args = [WEB_SERVER, "--host", opts.host ?? "127.0.0.1", "--port", String(opts.port ?? 3000)];
  if (opts.town) args.push("--town", opts.town);
  if (opts.dev) args.push("--dev");
  return { command: process.execPath, args };
}
