import { afterAll, expect, test } from "vitest";
import { addUser, createRedis, createToken, townOnRedis, IN_PROCESS_REACH } from "@tinytown/core";
import { startRedisServer, uniqueTownName } from "@tinytown/core/testing";
import { trpcGate } from "./http";

// A private server: this test pauses every client of it.
const server = await startRedisServer();
const town = await townOnRedis({ name: uniqueTownName("gate"), url: server.url });
afterAll(async () => {
  await town.close();
  await server.stop();
});

test("with Redis paused, a token request through the gate settles with a clear 503 instead of hanging", async () => {
  await addUser(town, { name: "ada", role: "admin", password: "correct horse battery", by: "cli" });
  const { token } = await createToken(town, { name: "ci", role: "operator", by: "cli" });
  const req = () =>
    new Request("http://127.0.0.1/api/trpc/town.status", { headers: { authorization: `Bearer ${token}` } });
  expect(await trpcGate(req(), { endpoint: "/api/trpc", town, reach: IN_PROCESS_REACH })).toBeNull();

  const admin = createRedis(server.url);
  await admin.call("CLIENT", "PAUSE", "6000", "ALL");
  const started = Date.now();
  const res = await trpcGate(req(), { endpoint: "/api/trpc", town, reach: IN_PROCESS_REACH });
  const took = Date.now() - started;
  await admin.call("CLIENT", "UNPAUSE");
  admin.disconnect();
  expect(res?.status).toBe(503);
  expect(((await res!.json()) as { error: { message: string } }).error.message).toMatch(/did not answer within 3 s/);
  expect(took).toBeLessThan(5_500);
});
