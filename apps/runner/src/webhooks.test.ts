/**
 * The town webhook against a real local HTTP receiver: a failed task is POSTed signed (HMAC-SHA256 over
 * `<timestamp>.<body>`), a receiver that fails twice gets the same delivery again with backoff, the delivery log says
 * what happened, and neither the log nor the runner's output carries the secret.
 */
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "vitest";
import { createTask, failTask, readWebhookLog, spawnAgent, startTask, townOnRedis } from "@tinytown/core";
import { testRedisUrl, uniqueTownName } from "@tinytown/core/testing";
import { waitFor, cleanupAfterEach } from "../test/helpers";
import { createLogger } from "./log";
import { startRunner } from "./runner";

const SECRET = "whsec-test-7f3a9c1e5b";
const cleanup = cleanupAfterEach();

interface Hit {
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
}

async function receiver(failFirst: number): Promise<{ url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      hits.push({ headers: req.headers, body, at: Date.now() });
      res.statusCode = hits.length <= failFirst ? 503 : 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanup(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits };
}

test("a failed task is delivered signed; a failing receiver gets it again with backoff; no secret in logs", async () => {
  const rx = await receiver(2);
  process.env.TT_TEST_WEBHOOK_SECRET = SECRET;
  cleanup(async () => delete process.env.TT_TEST_WEBHOOK_SECRET);
  const name = uniqueTownName("wh");
  const town = await townOnRedis({
    name,
    url: testRedisUrl(),
    config: { webhook: { url: rx.url, secretEnv: "TT_TEST_WEBHOOK_SECRET", backoffMs: 100, maxAttempts: 5 } },
  });
  cleanup(() => town.close());
  const lines: string[] = [];
  const runner = await startRunner(town, {
    log: createLogger("debug", "[runner]", (l) => lines.push(l)),
    heartbeatMs: 300,
    reconcileMs: 500,
  });
  cleanup(() => runner.stop(0));

  // A task fails (as a runner would fail it): the item it opens goes to the webhook.
  const agent = await spawnAgent(town, { name: "w1", model: "claude", by: "cli" });
  const t = await createTask(town, { description: "Deploy", assignTo: agent.id, by: "ada" });
  await startTask(town, { taskId: t.id, agentId: agent.id, by: "runner:x" });
  await failTask(town, { taskId: t.id, error: "exit code 1: boom", by: "runner:x" });

  await waitFor("three attempts, the last one accepted", () => rx.hits.length >= 3, 15_000);
  const [first, , last] = rx.hits;
  // Every attempt is the same delivery, and retries back off (100 ms, then 200 ms).
  expect(new Set(rx.hits.map((h) => h.body)).size).toBe(1);
  expect(last!.at - first!.at).toBeGreaterThanOrEqual(250);
  const payload = JSON.parse(last!.body) as Record<string, unknown>;
  expect(payload).toMatchObject({ town: name, kind: "failed", event: "task.failed", taskId: t.id });
  const ts = String(last!.headers["x-tinytown-timestamp"]);
  const expected = `sha256=${createHmac("sha256", SECRET).update(`${ts}.${last!.body}`).digest("hex")}`;
  expect(last!.headers["x-tinytown-signature"]).toBe(expected);

  const log = await waitFor("three deliveries logged", async () => {
    const l = await readWebhookLog(town);
    return l.length >= 3 ? l : null;
  });
  expect(log.map((d) => [d.attempt, d.ok, d.status])).toEqual([
    [3, true, 204],
    [2, false, 503],
    [1, false, 503],
  ]);
  // Only one delivery per event, however many events the runner saw.
  await new Promise((r) => setTimeout(r, 500));
  expect(rx.hits).toHaveLength(3);
  const everything = JSON.stringify(log) + lines.join("\n");
  expect(everything).toContain("HTTP 503"); // the failures were logged…
  expect(everything).not.toContain(SECRET); // …and the secret never
  expect(everything).not.toContain(expected.slice(7));
});
