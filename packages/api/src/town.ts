import { connectTown, type Town } from "@tinytown/core";

// On globalThis: Next gives each route bundle its own copy of this module, but the process needs one town
// (one Redis connection, one event hub).
const KEY = Symbol.for("tinytown.api.town");
type TownGlobal = typeof globalThis & { [KEY]?: Promise<Town> };

/**
 * The town this server process serves, connected on first use (TT_TOWN_DIR points at its directory; REDIS_URL
 * overrides its Redis). A failed connect is not cached, so the next request tries again; once connected, ioredis
 * handles reconnects.
 */
export function getTown(): Promise<Town> {
  const g = globalThis as TownGlobal;
  g[KEY] ??= connectTown({ env: process.env }).catch((err: unknown) => {
    g[KEY] = undefined;
    throw err;
  });
  return g[KEY];
}

/** Closes the process's town if it was connected (server shutdown). */
export async function closeTown(): Promise<void> {
  const g = globalThis as TownGlobal;
  const pending = g[KEY];
  g[KEY] = undefined;
  const town = await pending?.catch(() => null);
  await town?.close();
}
