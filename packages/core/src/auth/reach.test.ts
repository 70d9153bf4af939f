/** The one reach rule: which requests may use open access, which are not served at all, who the client is. */
import { describe, expect, test } from "vitest";

import { parseConfig } from "../town/config";
import { assessReach, isLoopbackIp, isLoopbackName, type ReachInput, type WebSettings } from "./reach";

const LOOP = { address: "127.0.0.1", port: 3000 };
const NONE: WebSettings = { allowedHosts: [], trustedProxies: [] };

function reach(over: Partial<Omit<ReachInput, "headers">> & { headers?: Record<string, string> } = {}) {
  return assessReach({
    listen: over.listen === undefined ? LOOP : over.listen,
    peer: over.peer ?? "127.0.0.1",
    headers: new Headers({ host: "127.0.0.1:3000", ...over.headers }),
    settings: over.settings ?? NONE,
  });
}

describe("open access only where it is really local", () => {
  test("loopback listen, loopback peer, a loopback Host with the server's port, no forwarding: local", () => {
    for (const host of ["127.0.0.1:3000", "localhost:3000", "[::1]:3000", "LOCALHOST:3000"])
      expect(reach({ headers: { host } }).local, host).toBe(true);
    expect(reach({ peer: "::ffff:127.0.0.1" }).local).toBe(true);
    expect(reach({ peer: "::1", listen: { address: "::1", port: 3000 } }).local).toBe(true);
  });

  test("exposure comes from the address the server listens on, not from any variable", () => {
    for (const address of ["0.0.0.0", "::", "10.1.2.3"]) {
      const r = reach({ listen: { address, port: 3000 } });
      expect(r.local, address).toBe(false);
      expect(r.notLocal).toContain(`listens on ${address}`);
    }
    expect(reach({ listen: null }).local).toBe(false);
  });

  test("a remote peer, another port, or a forwarding header from an untrusted peer is not local", () => {
    expect(reach({ peer: "10.0.0.7" }).notLocal).toContain("10.0.0.7");
    expect(reach({ headers: { host: "127.0.0.1:8080" } }).local).toBe(false);
    expect(reach({ headers: { host: "localhost" } }).local).toBe(false);
    for (const h of ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "forwarded", "x-real-ip"]) {
      const r = reach({ headers: { [h]: h === "forwarded" ? "for=127.0.0.1" : "127.0.0.1" } });
      expect(r.local, h).toBe(false);
      expect(r.notLocal, h).toContain("forwarding header");
      // Untrusted: the headers change nothing about who the client is.
      expect(r.clientIp).toBe("127.0.0.1");
      expect(r.secure).toBe(false);
    }
    expect(reach({ headers: { "x-forwarded-for": "6.6.6.6", "x-forwarded-proto": "https" } })).toMatchObject({
      clientIp: "127.0.0.1",
      secure: false,
      proxied: false,
    });
  });

  test("a trusted proxy's headers name the client, https and the host; a proxied request is never local", () => {
    const settings = { allowedHosts: ["tt.example.com"], trustedProxies: ["127.0.0.1", "10.0.0.0/8"] };
    const r = reach({
      settings,
      headers: {
        host: "127.0.0.1:3000",
        "x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.1.1.1",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "tt.example.com",
      },
    });
    expect(r).toMatchObject({ local: false, proxied: true, clientIp: "203.0.113.9", secure: true, misdirected: null });
    expect(r.host).toBe("tt.example.com");
    const fwd = reach({ settings, headers: { forwarded: 'for="[2001:db8::1]:4711";proto=https;host=tt.example.com' } });
    expect(fwd).toMatchObject({ clientIp: "2001:db8::1", secure: true, host: "tt.example.com" });
    // The same proxy without forwarding headers is an ordinary local request.
    expect(reach({ settings }).local).toBe(true);
  });
});

describe("DNS rebinding: a Host that is not this server's name is not served", () => {
  test("on loopback, only loopback names and allowedHosts are served", () => {
    const r = reach({ headers: { host: "rebind.attacker.test:3000" } });
    expect(r.local).toBe(false);
    expect(r.misdirected).toContain('"rebind.attacker.test"');
    expect(r.misdirected).toContain("web.allowedHosts");
    expect(reach({ headers: { host: "localhost:4444" } }).misdirected).toBeNull();
    const named = { allowedHosts: [".example.com"], trustedProxies: [] };
    expect(reach({ settings: named, headers: { host: "tt.example.com" } }).misdirected).toBeNull();
    expect(reach({ settings: named, headers: { host: "example.com" } }).misdirected).toBeNull();
    expect(reach({ settings: named, headers: { host: "example.com.evil.test" } }).misdirected).not.toBeNull();
    for (const host of ["", "a b", "x@127.0.0.1", "127.0.0.1/x"])
      expect(reach({ headers: { host } }).misdirected, host).not.toBeNull();
  });

  test("beyond loopback any Host is served (sign-in is required anyway) unless allowedHosts is set", () => {
    const listen = { address: "0.0.0.0", port: 3000 };
    expect(reach({ listen, headers: { host: "10.0.0.5:3000" } }).misdirected).toBeNull();
    const settings = { allowedHosts: ["tt.example.com"], trustedProxies: [] };
    expect(reach({ listen, settings, headers: { host: "other.test" } }).misdirected).not.toBeNull();
  });

  test("forwarded host from an untrusted peer is not believed", () => {
    const r = reach({ headers: { host: "rebind.attacker.test:3000", "x-forwarded-host": "localhost:3000" } });
    expect(r.misdirected).not.toBeNull();
  });
});

test("loopback addresses and names", () => {
  expect(["127.0.0.1", "127.9.9.9", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "[::1]"].every(isLoopbackIp)).toBe(
    true,
  );
  expect(["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "", "localhost"].some(isLoopbackIp)).toBe(false);
  expect(["localhost", "localhost.", "127.0.0.1", "[::1]"].every(isLoopbackName)).toBe(true);
  expect(["localhost.attacker.test", "127.0.0.1.nip.io", "0.0.0.0"].some(isLoopbackName)).toBe(false);
});

test("tinytown.json validates the web settings and names each bad entry", () => {
  const ok = parseConfig({
    name: "t",
    web: { allowedHosts: ["TT.example.com"], trustedProxies: ["10.0.0.0/8", "::1"] },
  });
  expect(ok.web).toEqual({
    allowedHosts: ["tt.example.com"],
    trustedProxies: ["10.0.0.0/8", "::1"],
    maxStreamsPerClient: 16,
  });
  expect(parseConfig({ name: "t" }).web.allowedHosts).toEqual([]);
  expect(() => parseConfig({ name: "t", web: { allowedHosts: ["https://x.test:3000"] } })).toThrow(
    /web\.allowedHosts\.0: "https:\/\/x\.test:3000" is not a host name/,
  );
  expect(() => parseConfig({ name: "t", web: { trustedProxies: ["10.0.0.0/40"] } })).toThrow(/invalid prefix length/);
  expect(() => parseConfig({ name: "t", web: { trustedProxies: ["proxy.local"] } })).toThrow(/not an IP address/);
  expect(() => parseConfig({ name: "t", web: { bogus: 1 } })).toThrow(/web/);
});
