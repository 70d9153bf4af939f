import { expect, test } from "vitest";
import { CoreError } from "../errors";
import { clusterOptionsFromUrl, describeRedisUrl, isClusterUrl, keySlot } from "./connection";

test("redis+cluster:// URLs list seed nodes; credentials and TLS apply to every node", () => {
  expect(isClusterUrl("redis+cluster://127.0.0.1:7000")).toBe(true);
  expect(isClusterUrl("rediss+cluster://h:1")).toBe(true);
  expect(isClusterUrl("redis://127.0.0.1:7000")).toBe(false);
  expect(clusterOptionsFromUrl("redis+cluster://127.0.0.1:7000,127.0.0.1:7001,node3")).toEqual({
    nodes: [
      { host: "127.0.0.1", port: 7000 },
      { host: "127.0.0.1", port: 7001 },
      { host: "node3", port: 6379 },
    ],
    options: { username: undefined, password: undefined, tls: undefined },
  });
  expect(clusterOptionsFromUrl("rediss+cluster://bob:p%40ss@h1:7000,h2:7001/")).toEqual({
    nodes: [
      { host: "h1", port: 7000 },
      { host: "h2", port: 7001 },
    ],
    options: { username: "bob", password: "p@ss", tls: {} },
  });
  expect(() => clusterOptionsFromUrl("redis+cluster://")).toThrow(CoreError);
  expect(() => clusterOptionsFromUrl("redis+cluster://h:99999")).toThrow(/host:port/);
  expect(describeRedisUrl("redis+cluster://bob:secret@h1:7000,h2:7001")).toBe(
    "redis+cluster://bob:***@h1:7000,h2:7001",
  );
  expect(describeRedisUrl("redis+cluster://h1:7000")).toBe("redis+cluster://h1:7000");
});

test("keySlot hashes only the hash tag, so a town's keys share a slot", () => {
  // Reference values from the Redis Cluster specification (CRC16/XMODEM mod 16384).
  expect(keySlot("123456789")).toBe(0x31c3 % 16384);
  expect(keySlot("tt:{alpha}:meta")).toBe(keySlot("alpha"));
  expect(keySlot("tt:{alpha}:bull:agent-1:wait")).toBe(keySlot("tt:{alpha}:events"));
});
