/**
 * How a request reached the server, and so whether it may use open (no-user) access at all: the ONE rule that every
 * HTTP entry (dashboard pages, tRPC, SSE, metrics, MCP) applies. It reads only facts the transport knows for certain
 * — the address the server ACTUALLY listens on and the socket's peer — plus the request's headers and the town's
 * `web` settings (tinytown.json). Never an environment variable.
 *
 * Open access needs all of: the server listens on loopback only; the peer is loopback; the `Host` names this server
 * by a loopback name and its port; and no forwarding header (`Forwarded`, `X-Forwarded-*`, `X-Real-IP`) — those say
 * a proxy relayed the request for someone else. A request relayed by a configured trusted proxy takes the client's
 * address, `https` and host from the proxy's headers, and is never local (the proxy may listen anywhere).
 */
import { BlockList, isIP } from "node:net";

/** The `web` section of tinytown.json, as the rule needs it. */
export interface WebSettings {
  /** Names (besides localhost, 127.0.0.1 and [::1]) this server may be addressed by; ".example.com" matches subdomains. */
  allowedHosts: readonly string[];
  /** Peers (IPs or CIDR ranges) whose forwarding headers are believed. */
  trustedProxies: readonly string[];
}

export const DEFAULT_WEB_SETTINGS: WebSettings = { allowedHosts: [], trustedProxies: [] };

export interface ReachInput {
  /** Where the server listens (`server.address()`); null when unknown, which is never local. */
  listen: { address: string; port: number } | null;
  /** The socket's remote address. */
  peer: string | null | undefined;
  headers: Headers;
  settings: WebSettings;
}

export interface Reach {
  /** Open access may apply: see the module comment. */
  local: boolean;
  /** Why the request is not local (for messages); null when it is. */
  notLocal: string | null;
  /**
   * Set when the request must not be served at all: its Host is not a name of this server (DNS rebinding: an
   * attacker's name resolving to 127.0.0.1). Checked when the server listens on loopback or `allowedHosts` is set.
   */
  misdirected: string | null;
  /** The client's address: the socket peer, or the one a trusted proxy forwarded. */
  clientIp: string;
  /** The client used https: only a trusted proxy can say so (the server itself speaks plain HTTP). */
  secure: boolean;
  /** The host the client addressed (`Host`, or a trusted proxy's forwarded host), lower-case; null when absent. */
  host: string | null;
  /** Relayed by a trusted proxy. */
  proxied: boolean;
}

/** A request whose reach is unknown (no trusted transport said where it came from): never local, never misdirected. */
export function unknownReach(headers: Headers, why = "the server could not tell where the request came from"): Reach {
  return {
    local: false,
    notLocal: why,
    misdirected: null,
    clientIp: "unknown",
    secure: false,
    host: headers.get("host")?.trim().toLowerCase() || null,
    proxied: false,
  };
}

/** What an in-process caller (tests, a CLI hosting the API) is: on this machine by construction. */
export const IN_PROCESS_REACH: Reach = Object.freeze({
  local: true,
  notLocal: null,
  misdirected: null,
  clientIp: "in-process",
  secure: false,
  host: null,
  proxied: false,
});

/** Applies the rule to one request. Pure: the caller supplies the facts. */
export function assessReach(input: ReachInput): Reach {
  const { headers, settings, listen } = input;
  const proxies = proxyList(settings.trustedProxies);
  const peer = normalizeIp(input.peer ?? "");
  const forwarding = forwardingHeader(headers);
  const trusted = peer !== "" && isIP(peer) !== 0 && proxies.check(peer, isIP(peer) === 6 ? "ipv6" : "ipv4");
  const proxied = trusted && forwarding !== null;

  const host = ((proxied ? forwardedHost(headers) : null) ?? headers.get("host"))?.trim().toLowerCase() || null;
  const target = parseHost(host);
  const loopbackServer = listen !== null && isLoopbackIp(normalizeIp(listen.address));
  const named = target !== null && (isLoopbackName(target.name) || matchesAllowed(target.name, settings.allowedHosts));
  let misdirected: string | null = null;
  if (!named && (loopbackServer || settings.allowedHosts.length > 0)) {
    const names = ["localhost", "127.0.0.1", "[::1]", ...settings.allowedHosts].join(", ");
    misdirected = target
      ? `this Tinytown server answers only to ${names}, not to ${JSON.stringify(target.name.slice(0, 100))}: if that is your deployment's name, add it to "web.allowedHosts" in tinytown.json and restart the dashboard`
      : `a request needs a valid Host header naming this server (${names})`;
  }

  let notLocal: string | null = null;
  if (!listen) notLocal = "the server does not know the address it listens on";
  else if (!loopbackServer) notLocal = `the server listens on ${listen.address}, beyond loopback`;
  else if (!isLoopbackIp(peer))
    notLocal = `the request comes from ${peer || "an unknown address"}, not from this machine`;
  else if (proxied) notLocal = "the request was relayed by a proxy";
  else if (forwarding)
    notLocal = `the request carries a forwarding header (${forwarding}) from a peer that is not a trusted proxy ("web.trustedProxies" in tinytown.json)`;
  else if (!target || !isLoopbackName(target.name) || target.port !== listen.port)
    notLocal = `the request addresses ${JSON.stringify(host ?? "")}, not this server's loopback name and port ${listen.port}`;

  return {
    local: notLocal === null && misdirected === null,
    notLocal,
    misdirected,
    clientIp: (proxied ? forwardedClient(headers, proxies) : null) ?? (peer || "unknown"),
    secure: proxied && forwardedProto(headers) === "https",
    host,
    proxied,
  };
}

/** Whether an address (IPv4, IPv6, IPv4-mapped IPv6) is loopback: 127.0.0.0/8 or ::1. */
export function isLoopbackIp(address: string): boolean {
  const ip = normalizeIp(address);
  const family = isIP(ip);
  return family !== 0 && LOOPBACK.check(ip, family === 6 ? "ipv6" : "ipv4");
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** Whether a host name (from a Host header, without port) is a loopback name: localhost, 127.x.y.z or [::1]. */
export function isLoopbackName(name: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, "");
  if (n === "localhost") return true;
  const bare = n.startsWith("[") && n.endsWith("]") ? n.slice(1, -1) : n;
  return isIP(bare) !== 0 && isLoopbackIp(bare);
}

/** Strips brackets, a zone id and the IPv4-mapped prefix: `[::ffff:127.0.0.1]` → `127.0.0.1`. */
export function normalizeIp(address: string): string {
  let a = address.trim().toLowerCase();
  if (a.startsWith("[") && a.endsWith("]")) a = a.slice(1, -1);
  a = a.replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped ? mapped[1]! : a;
}

/** Validates one `trustedProxies` entry (an IP or CIDR); returns an error message or null. */
export function proxyEntryError(entry: string): string | null {
  const [ip, bits, extra] = entry.split("/");
  const family = isIP(normalizeIp(ip ?? ""));
  if (extra !== undefined || family === 0)
    return `"${entry}" is not an IP address or CIDR range (e.g. 127.0.0.1, 10.0.0.0/8, ::1)`;
  if (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)))
    return `"${entry}" has an invalid prefix length`;
  return null;
}

const HOST_NAME = /^\.?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Validates one `allowedHosts` entry (a DNS name or IP, no port; a leading "." matches subdomains). */
export function allowedHostError(entry: string): string | null {
  return HOST_NAME.test(entry) || isIP(normalizeIp(entry)) !== 0
    ? null
    : `"${entry}" is not a host name (e.g. tinytown.example.com, or .example.com for every subdomain; no scheme, no port)`;
}

function matchesAllowed(name: string, allowed: readonly string[]): boolean {
  const n = name.replace(/\.$/, "");
  return allowed.some((a) => {
    const entry = a.toLowerCase();
    return entry.startsWith(".") ? n.endsWith(entry) || n === entry.slice(1) : n === entry;
  });
}

/** `name[:port]` → name (brackets kept for IPv6) and port (80 when absent); null when not a plain host. */
function parseHost(host: string | null): { name: string; port: number } | null {
  if (!host || /[\s/\\@?#]/.test(host)) return null;
  try {
    const url = new URL(`http://${host}`);
    return { name: url.hostname, port: url.port === "" ? 80 : Number(url.port) };
  } catch {
    return null;
  }
}

/** The first forwarding header present (its name), or null. */
function forwardingHeader(headers: Headers): string | null {
  for (const [name] of headers) {
    if (name === "forwarded" || name === "x-real-ip" || name.startsWith("x-forwarded-")) return name;
  }
  return null;
}

const proxyLists = new WeakMap<readonly string[], BlockList>();

function proxyList(entries: readonly string[]): BlockList {
  let list = proxyLists.get(entries);
  if (list) return list;
  list = new BlockList();
  for (const entry of entries) {
    const [ip, bits] = entry.split("/");
    const addr = normalizeIp(ip!);
    const type = isIP(addr) === 6 ? "ipv6" : "ipv4";
    if (isIP(addr) === 0) continue;
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  proxyLists.set(entries, list);
  return list;
}

/** Entries of a comma-separated header, trimmed, empty ones dropped. */
const listOf = (value: string | null) =>
  (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** `for=`, `proto=` or `host=` values of a `Forwarded` header, in order. */
function forwardedParam(headers: Headers, param: string): string[] {
  const out: string[] = [];
  for (const element of listOf(headers.get("forwarded"))) {
    for (const pair of element.split(";")) {
      const eq = pair.indexOf("=");
      if (eq > 0 && pair.slice(0, eq).trim().toLowerCase() === param)
        out.push(
          pair
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, "$1"),
        );
    }
  }
  return out;
}

/** The client a trusted proxy names: the nearest address in its chain that is not itself a trusted proxy. */
function forwardedClient(headers: Headers, proxies: BlockList): string | null {
  const xff = listOf(headers.get("x-forwarded-for"));
  const chain = (xff.length ? xff : forwardedParam(headers, "for")).map((a) =>
    normalizeIp(a.replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, "$1").replace(/^\[([^\]]+)\](:\d+)?$/, "$1")),
  );
  if (chain.length === 0) {
    const real = normalizeIp(headers.get("x-real-ip") ?? "");
    return isIP(real) ? real : null;
  }
  for (let i = chain.length - 1; i >= 0; i--) {
    const ip = chain[i]!;
    if (isIP(ip) === 0) return null;
    if (i === 0 || !proxies.check(ip, isIP(ip) === 6 ? "ipv6" : "ipv4")) return ip;
  }
  return null;
}

/** The proxy nearest us writes (or appends) these last. */
function forwardedProto(headers: Headers): string | null {
  return (
    (listOf(headers.get("x-forwarded-proto")).at(-1) ?? forwardedParam(headers, "proto").at(-1))?.toLowerCase() ?? null
  );
}

function forwardedHost(headers: Headers): string | null {
  return listOf(headers.get("x-forwarded-host")).at(-1) ?? forwardedParam(headers, "host").at(-1) ?? null;
}
