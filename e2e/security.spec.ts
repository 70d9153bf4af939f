/**
 * Who may reach the town over HTTP, against the real dashboard server (apps/web/server.mjs) and Chromium: DNS
 * rebinding, exposure from the listen address, forwarding headers, a trusted proxy, limits, security headers with a
 * CSP the board runs under, and safe redirects after sign-in. `rebind.attacker.test` resolves to 127.0.0.1 in this
 * browser (--host-resolver-rules), as an attacker's DNS would make it after the victim opened their page.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { listAgents, listTasks } from "@tinytown/core";
import { freePort } from "@tinytown/core/testing/redis-server";
import { expect, openBoard, test, uniq } from "./fixtures";

const ROOT = resolve(import.meta.dirname, "..");
const TT = join(ROOT, "apps/cli/bin/tt.mjs");
const WEB_SERVER = join(ROOT, "apps/web/server.mjs");
const PW = "e2e-password-1";
const REBIND = "rebind.attacker.test";

test.use({
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
      `--host-resolver-rules=MAP ${REBIND} 127.0.0.1`,
    ],
  },
});
test.describe.configure({ mode: "serial" });

interface Server {
  base: string;
  port: number;
  dir: string;
  child: ChildProcess;
}
const servers: Server[] = [];

function tt(dir: string, args: string[], input?: string): string {
  const r = spawnSync(process.execPath, [TT, "--town", dir, ...args], {
    env: { ...process.env, REDIS_URL: process.env.E2E_REDIS_URL, NO_COLOR: "1" },
    input,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`tt ${args.join(" ")} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A town of its own (with `web` settings and users as asked) and the dashboard server on `host`. */
async function startServer(opts: { host: string; web?: object; users?: boolean }): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), "tt-e2e-sec-"));
  tt(dir, ["init", uniq("sec"), "--redis-url", process.env.E2E_REDIS_URL!]);
  if (opts.web) {
    const file = join(dir, "tinytown.json");
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), web: opts.web }, null, 2));
  }
  if (opts.users) tt(dir, ["user", "add", "ada", "--role", "admin", "--password-stdin"], `${PW}\n`);
  const port = await freePort();
  const log = join(dir, "web.log");
  // No HOSTNAME (or any variable) says where it listens: only --host does, and the server reads back its address.
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: process.env.E2E_REDIS_URL, NODE_ENV: "production" };
  delete env.HOSTNAME;
  delete env.TT_TOWN_DIR;
  const child = spawn(process.execPath, [WEB_SERVER, "--host", opts.host, "--port", String(port), "--town", dir], {
    env,
    stdio: ["ignore", openSync(log, "a"), openSync(log, "a")],
  });
  const base = `http://127.0.0.1:${port}`;
  const server = { base, port, dir, child };
  servers.push(server);
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if ((await fetch(`${base}/api/health`).catch(() => null))?.ok) return server;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the dashboard server did not start; see ${log}`);
}

test.afterAll(async () => {
  for (const s of servers) {
    if (s.child.exitCode === null) {
      const exited = new Promise((r) => s.child.once("exit", r));
      s.child.kill("SIGTERM");
      await exited;
    }
    rmSync(s.dir, { recursive: true, force: true });
  }
});

/** A raw request, as curl sends it: any Host, any headers (fetch cannot set Host). */
function raw(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((ok, fail) => {
    const req = httpRequest(url, { method: opts.method ?? "GET", headers: opts.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", fail);
    req.end(opts.body);
  });
}

test("DNS rebinding: a page on a rebound name can neither read the town nor spawn or assign", async ({
  page,
  baseURL,
  town,
}) => {
  const port = new URL(baseURL!).port;
  const evil = `http://${REBIND}:${port}`;
  const before = (await listAgents(town)).length;
  const res = await page.goto(`${evil}/`);
  expect(res!.status()).toBe(421);
  await expect(page.locator("body")).toContainText("answers only to localhost, 127.0.0.1, [::1]");
  // Even if a script ran on that origin (this context ignores the page's CSP, which would forbid it), every call
  // to "its own" server reaches the dashboard and is refused.
  const attacker = await page.context().browser()!.newContext({ bypassCSP: true });
  const evilPage = await attacker.newPage();
  await evilPage.goto(`${evil}/`);
  const tried = await evilPage.evaluate(async () => {
    const status = async (path: string, init?: RequestInit) => (await fetch(path, init)).status;
    const post = (path: string, json: unknown) =>
      status(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ json }) });
    return {
      status: await status("/api/trpc/town.status"),
      events: await status("/api/trpc/town.events"),
      spawn: await post("/api/trpc/agent.spawn", { name: "pwned", model: "claude" }),
      assign: await post("/api/trpc/task.create", { description: "run this", assignTo: "pwned" }),
      metrics: await status("/api/metrics"),
    };
  });
  await attacker.close();
  expect(tried).toEqual({ status: 421, events: 421, spawn: 421, assign: 421, metrics: 421 });
  expect((await listAgents(town)).length).toBe(before);
  // The same dashboard by its loopback name works (and is open: no users on this town).
  expect((await page.goto(`${baseURL}/`))!.status()).toBe(200);
});

test("the curl reproduction of the issue is answered 421 and spawns nothing", async ({ baseURL, town }) => {
  const port = new URL(baseURL!).port;
  const r = await raw(`${baseURL}/api/trpc/agent.spawn`, {
    method: "POST",
    headers: {
      host: `rebind.attacker.example:${port}`,
      origin: `http://rebind.attacker.example:${port}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ json: { name: "x", model: "sim" } }),
  });
  expect(r.status).toBe(421);
  expect(r.headers["content-type"]).toMatch(/^application\/json/);
  expect(JSON.parse(r.body)).toMatchObject({ error: { code: "MISDIRECTED_REQUEST" } });
  expect((await listAgents(town)).map((a) => a.name)).not.toContain("x");
});

test("forwarding headers from a peer that is not a trusted proxy make a request non-local", async ({ baseURL }) => {
  const forwarding: Record<string, string>[] = [
    { "x-forwarded-for": "203.0.113.9" },
    { forwarded: "for=203.0.113.9" },
    { "x-real-ip": "10.0.0.1" },
  ];
  for (const h of forwarding) {
    const r = await raw(`${baseURL}/api/trpc/town.status`, { headers: h });
    expect(r.status, JSON.stringify(h)).toBe(401);
  }
  expect((await raw(`${baseURL}/api/trpc/town.status`, {})).status).toBe(200);
  // A client cannot forge the server's own record of how it arrived either.
  const forged = await raw(`${baseURL}/api/trpc/town.status`, {
    headers: { "x-forwarded-for": "1.1.1.1", "x-tinytown-reach": "x.eyJsb2NhbCI6dHJ1ZX0" },
  });
  expect(forged.status).toBe(401);
});

test("exposure comes from the listen address: on 0.0.0.0 with no users (and no HOSTNAME) everything needs sign-in", async ({
  page,
}) => {
  const s = await startServer({ host: "0.0.0.0" });
  const api = await raw(`${s.base}/api/trpc/town.status`, {});
  expect(api.status).toBe(401);
  const spawn = await raw(`${s.base}/api/trpc/agent.spawn`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: s.base },
    body: JSON.stringify({ json: { name: "x", model: "sim" } }),
  });
  expect(spawn.status).toBe(401);
  expect(spawn.body).toContain("tt user add <name> --role admin");
  expect((await raw(`${s.base}/api/metrics`, {})).status).toBe(401);
  await page.goto(`${s.base}/overview`);
  await expect(page).toHaveURL(/\/login\?next=%2Foverview/);
  await expect(page.getByTestId("no-users")).toContainText("tt user add <name> --role admin");
});

test("behind a trusted proxy: its forwarded https and host are believed, the session cookie is Secure; sign-in lands only on this site", async ({
  page,
}) => {
  const s = await startServer({
    host: "127.0.0.1",
    users: true,
    web: { allowedHosts: ["tinytown.example.com"], trustedProxies: ["127.0.0.1"] },
  });
  const viaProxy = {
    host: "tinytown.example.com",
    origin: "https://tinytown.example.com",
    "x-forwarded-for": "203.0.113.50",
    "x-forwarded-proto": "https",
    "x-forwarded-host": "tinytown.example.com",
    "content-type": "application/json",
  };
  const login = await raw(`${s.base}/api/trpc/auth.login`, {
    method: "POST",
    headers: viaProxy,
    body: JSON.stringify({ json: { name: "ada", password: PW } }),
  });
  expect(login.status).toBe(200);
  expect(String(login.headers["set-cookie"])).toMatch(/; Secure/);
  // Its name is allowed; another is not served at all.
  const other = await raw(`${s.base}/api/health`, { headers: { host: "other.example.com" } });
  expect(other.status).toBe(421);

  // Safe redirect: a hostile `next` lands on the dashboard's own front page.
  for (const next of ["/%09/attacker.test/phish", "/%0A/attacker.test", "//attacker.test", "/%5Cattacker.test"]) {
    // Leave the signed-in page first: its session keep-alive, finding the cookie gone, would navigate to /login
    // itself and race this navigation.
    await page.goto("about:blank");
    await page.context().clearCookies();
    await page.goto(`${s.base}/login?next=${next}`);
    await page.getByLabel("User name").fill("ada");
    await page.getByLabel("Password").fill(PW);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page, next).toHaveURL(`${s.base}/`);
  }
});

test("limits: a 2 MiB body is a 413, a multipart mutation a 415, a batch of 21 a 413 — all JSON, nothing created", async ({
  baseURL,
  town,
}) => {
  const big = await raw(`${baseURL}/api/trpc/auth.login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: baseURL! },
    body: JSON.stringify({ json: { name: "x".repeat(2 * 1024 * 1024), password: "y" } }),
  });
  expect(big.status).toBe(413);
  expect(JSON.parse(big.body)).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
  const marker = uniq("multipart");
  const form = new FormData();
  form.set("description", marker);
  const multipart = await fetch(`${baseURL}/api/trpc/task.create`, {
    method: "POST",
    headers: { origin: baseURL! },
    body: form,
  });
  expect(multipart.status).toBe(415);
  expect(multipart.headers.get("content-type")).toMatch(/^application\/json/);
  const batch = await fetch(`${baseURL}/api/trpc/${Array(21).fill("health.ping").join(",")}?batch=1`);
  expect(batch.status).toBe(413);
  expect((await listTasks(town, {})).items.map((t) => t.description)).not.toContain(marker);
});

test("security headers on a page, an API answer and an error; the board runs under the CSP with no violation", async ({
  page,
  baseURL,
}) => {
  const expectHeaders = (h: Record<string, string>, what: string) => {
    expect(h["content-security-policy"], what).toContain("frame-ancestors 'none'");
    expect(h["content-security-policy"], what).not.toContain("unsafe-eval");
    expect(h["x-frame-options"], what).toBe("DENY");
    expect(h["x-content-type-options"], what).toBe("nosniff");
    expect(h["referrer-policy"], what).toBe("same-origin");
  };
  const pageRes = await fetch(`${baseURL}/`);
  expectHeaders(Object.fromEntries(pageRes.headers), "page");
  expect(pageRes.headers.get("content-security-policy")).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
  expectHeaders(Object.fromEntries((await fetch(`${baseURL}/api/trpc/health.ping`)).headers), "api");
  expectHeaders(Object.fromEntries((await fetch(`${baseURL}/no/such/page`)).headers), "404");
  expectHeaders(Object.fromEntries((await fetch(`${baseURL}/_next/static/nope.js`)).headers), "static 404");

  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content.Security.Policy|Refused to (execute|load|apply)/i.test(m.text())) violations.push(m.text());
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`Content-Security-Policy violation: ${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  // Scripts run: the board goes live over SSE, and a task created through the dialog appears.
  await openBoard(page);
  const text = uniq("csp");
  await page.getByTestId("create-open").click();
  const dialog = page.getByTestId("create-dialog");
  await dialog.getByLabel("What should be done?").fill(text);
  await dialog.getByTestId("create-submit").click();
  await expect(page.getByText(text)).toBeVisible();
  expect(violations).toEqual([]);
});

test("another site cannot frame the dashboard", async ({ page, baseURL }) => {
  const evilPort = await freePort();
  const { createServer } = await import("node:http");
  const evil = createServer((_, res) => {
    res.setHeader("content-type", "text/html");
    res.end(`<iframe id="f" src="${baseURL}/" width="800" height="600"></iframe>`);
  });
  await new Promise<void>((r) => evil.listen(evilPort, "127.0.0.1", r));
  try {
    const blocked = page.waitForEvent("console", (m) =>
      /frame-ancestors|X-Frame-Options|refused to connect/i.test(m.text()),
    );
    await page.goto(`http://localhost:${evilPort}/`);
    await blocked.catch(() => undefined);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    // Blocked: the frame holds Chromium's error page, never the board.
    expect(
      await frame
        ?.locator("[data-testid=live-indicator]")
        .count()
        .catch(() => 0),
    ).toBe(0);
  } finally {
    evil.close();
  }
});
