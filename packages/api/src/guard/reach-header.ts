/**
 * How a request reached the dashboard travels from the dashboard's own server (apps/web/src/server/main.ts, which
 * owns the socket) to Next's route handlers, proxy and server components, which get no socket: in one internal
 * request header. The server deletes any copy a client sent, then sets it; the value carries a per-process key, so
 * a copy that did not come from this process's server (e.g. Next started without it) is never believed.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";

import { unknownReach, type Reach } from "@tinytown/core/reach";

export const REACH_HEADER = "x-tinytown-reach";

// On globalThis: the server's bundle and Next's route bundles each have their own copy of this module.
const KEY = Symbol.for("tinytown.web.reachKey");
type KeyGlobal = typeof globalThis & { [KEY]?: string };

/** Creates this process's key (idempotent). Only the dashboard's server calls it, before serving anything. */
export function installReachKey(): string {
  const g = globalThis as KeyGlobal;
  return (g[KEY] ??= randomBytes(24).toString("base64url"));
}

/** The header value for `reach`. Throws unless {@link installReachKey} ran in this process. */
export function encodeReach(reach: Reach): string {
  const key = (globalThis as KeyGlobal)[KEY];
  if (!key) throw new Error("installReachKey() must run before encodeReach()");
  return `${key}.${Buffer.from(JSON.stringify(reach)).toString("base64url")}`;
}

/**
 * The reach the dashboard's server recorded for this request; without a genuine one, a reach that is never local
 * (so sign-in is required), which is what a Next started without the dashboard's server gets.
 */
export function reachFromHeaders(headers: Headers): Reach {
  const key = (globalThis as KeyGlobal)[KEY];
  if (!key)
    return unknownReach(
      headers,
      "the dashboard was not started by its own server (node apps/web/server.mjs), so it cannot tell where requests come from",
    );
  const raw = headers.get(REACH_HEADER) ?? "";
  const dot = raw.indexOf(".");
  const given = Buffer.from(raw.slice(0, Math.max(dot, 0)));
  const want = Buffer.from(key);
  if (dot < 0 || given.length !== want.length || !timingSafeEqual(given, want)) return unknownReach(headers);
  try {
    const reach = JSON.parse(Buffer.from(raw.slice(dot + 1), "base64url").toString("utf8")) as Reach;
    return typeof reach.local === "boolean" && typeof reach.clientIp === "string" ? reach : unknownReach(headers);
  } catch {
    return unknownReach(headers);
  }
}
