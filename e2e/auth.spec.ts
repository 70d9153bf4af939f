/**
 * Sign-in against a second web server with its own town that HAS users (the shared server of global-setup has
 * none and must stay open for the other specs). Users and a token are created with the real `tt` binary.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { expect, test } from "@playwright/test";

import { freePort } from "@tinytown/core/testing/redis-server";

const ROOT = resolve(import.meta.dirname, "..");
const TT = join(ROOT, "apps/cli/bin/tt.mjs");
const WEB = join(ROOT, "apps/web");
const WEB_SERVER = join(WEB, "server.mjs");
const PW = "e2e-password-1";

let web: ChildProcess | undefined;
let townDir = "";
let base = "";
let token = "";

function tt(args: string[], input?: string): string {
  const r = spawnSync(process.execPath, [TT, "--town", townDir, ...args], {
    env: { ...process.env, REDIS_URL: process.env.E2E_REDIS_URL, NO_COLOR: "1" },
    input,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`tt ${args.join(" ")} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  townDir = mkdtempSync(join(tmpdir(), "tt-e2e-auth-"));
  tt(["init", "e2e-auth", "--redis-url", process.env.E2E_REDIS_URL!]);
  tt(["user", "add", "ada", "--role", "admin", "--password-stdin"], `${PW}\n`);
  tt(["user", "add", "vic", "--role", "viewer", "--password-stdin"], `${PW}\n`);
  token = (JSON.parse(tt(["--json", "token", "create", "ci-bot", "--role", "operator"])) as { token: string }).token;
  const port = await freePort();
  const log = join(townDir, "web.log");
  web = spawn(process.execPath, [WEB_SERVER, "--host", "127.0.0.1", "--port", String(port)], {
    cwd: WEB,
    env: {
      ...process.env,
      TT_TOWN_DIR: townDir,
      REDIS_URL: process.env.E2E_REDIS_URL,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
    },
    stdio: ["ignore", openSync(log, "a"), openSync(log, "a")],
  });
  base = `http://127.0.0.1:${port}`;
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if ((await fetch(`${base}/api/health`).catch(() => null))?.ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the second web server did not start; see ${log}`);
});

test.afterAll(async () => {
  if (web && web.exitCode === null) {
    const exited = new Promise((r) => web!.once("exit", r));
    web.kill("SIGTERM");
    await exited;
  }
  rmSync(townDir, { recursive: true, force: true });
});

const PAGES = ["/", "/overview", "/messages", "/audit", "/agents/nobody", "/tasks/0000"];
const API_GETS = [
  "/api/trpc/town.status",
  "/api/trpc/task.list?input=%7B%22json%22%3A%7B%7D%7D",
  "/api/trpc/town.events",
  "/api/metrics",
];

test("without a session every page redirects to /login and every API entry answers 401; health is public", async ({
  request,
}) => {
  for (const path of PAGES) {
    const res = await request.get(`${base}${path}`, { maxRedirects: 0 });
    expect(res.status(), path).toBe(307);
    expect(res.headers().location, path).toMatch(/^\/login/);
  }
  for (const path of API_GETS) expect((await request.get(`${base}${path}`)).status(), path).toBe(401);
  const create = await request.post(`${base}/api/trpc/task.create`, {
    data: { json: { description: "nope" } },
    headers: { origin: base },
  });
  expect(create.status()).toBe(401);
  expect((await request.get(`${base}/api/health`)).status()).toBe(200);
  const ready = await request.get(`${base}/api/ready`);
  expect(ready.status()).toBe(503); // no runner serves this town
  expect(await ready.json()).toEqual({ status: "not ready", reasons: ["no runner alive"] });
});

test("a token reads metrics and creates tasks as token:ci-bot without cookies", async ({ request }) => {
  const metrics = await request.get(`${base}/api/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(metrics.status()).toBe(200);
  expect(await metrics.text()).toContain('tinytown_tasks{town="e2e-auth",state="pending"}');
  const created = await request.post(`${base}/api/trpc/task.create`, {
    data: { json: { description: "from a script" } },
    headers: { authorization: `Bearer ${token}` },
  });
  expect(created.status()).toBe(200);
  expect(tt(["events"])).toContain("token:ci-bot");
});

test("sign in, see who you are, audit shows it, sign out", async ({ page }) => {
  await page.goto(`${base}/overview`);
  await expect(page).toHaveURL(/\/login\?next=%2Foverview/);
  await page.getByLabel("User name").fill("ada");
  await page.getByLabel("Password").fill("wrong-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("wrong user name or password")).toBeVisible();
  await page.getByLabel("Password").fill(PW);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(`${base}/overview`);
  await expect(page.getByTestId("signed-in")).toContainText("ada");
  await expect(page.getByTestId("signed-in")).toContainText("admin");
  await expect(page.getByTestId("open-access")).toHaveCount(0);
  const cookie = (await page.context().cookies()).find((c) => c.name === "tt_session")!;
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax" });

  await page.goto(`${base}/audit`);
  await page.getByTestId("audit-actor").fill("token:ci-bot");
  // In plain words: "token:ci-bot created 'Task from a token'".
  await expect(page.getByTestId("audit")).toContainText("token:ci-bot created '");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto(`${base}/`);
  await expect(page).toHaveURL(/\/login/);
});

test("a viewer cannot change anything; a cross-origin form POST fails even with a session", async ({
  page,
  browser,
}) => {
  await page.goto(`${base}/login`);
  await page.getByLabel("User name").fill("vic");
  await page.getByLabel("Password").fill(PW);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in")).toContainText("viewer");
  const status = await page.evaluate(async () => {
    const res = await fetch("/api/trpc/task.create", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: { description: "viewer" } }),
    });
    return res.status;
  });
  expect(status).toBe(403);

  // Ada signed in; a page on another origin submits a form to the dashboard in the same browser.
  const context = await browser.newContext();
  const ada = await context.newPage();
  await ada.goto(`${base}/login`);
  await ada.getByLabel("User name").fill("ada");
  await ada.getByLabel("Password").fill(PW);
  await ada.getByRole("button", { name: "Sign in" }).click();
  await expect(ada.getByTestId("signed-in")).toContainText("ada");
  const evilPort = await freePort();
  const { createServer } = await import("node:http");
  const evil = createServer((_, res) => {
    res.setHeader("content-type", "text/html");
    res.end(
      `<form id="f" method="POST" action="${base}/api/trpc/task.create" enctype="text/plain"><input name='{"json":{"description":"csrf","x":"' value='"}}'></form><script>document.getElementById("f").submit()</script>`,
    );
  });
  await new Promise<void>((r) => evil.listen(evilPort, "127.0.0.1", r));
  try {
    // "localhost" is another origin (and site) than "127.0.0.1".
    const response = ada.waitForResponse((r) => r.url().includes("/api/trpc/task.create"));
    await ada.goto(`http://localhost:${evilPort}/`);
    expect((await response).status()).toBeGreaterThanOrEqual(400);
  } finally {
    evil.close();
    await context.close();
  }
  expect(tt(["tasks"])).not.toContain("csrf");
});

test("a user changes their password from the account menu; this browser stays in, their other sessions end", async ({
  browser,
}) => {
  const signIn = async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.getByLabel("User name").fill("vic");
    await page.getByLabel("Password").fill(PW);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("signed-in")).toContainText("vic");
    return { context, page };
  };
  const here = await signIn();
  const there = await signIn();
  try {
    const page = here.page;
    await page.getByTestId("user-menu").click();
    await page.getByRole("menuitem", { name: "Change password…" }).click();
    const dialog = page.getByTestId("change-password-dialog");
    await dialog.getByLabel("Current password").fill("not-my-password");
    await dialog.getByLabel("New password", { exact: true }).fill("e2e-new-password");
    await dialog.getByLabel("New password again").fill("e2e-new-password");
    await dialog.getByRole("button", { name: "Change password" }).click();
    await expect(dialog.getByRole("alert")).toContainText("the current password is wrong");
    await dialog.getByLabel("Current password").fill(PW);
    await dialog.getByRole("button", { name: "Change password" }).click();
    // `there`, and vic's session from the test above when it ran.
    await expect(page.getByTestId("toast-success")).toContainText(/[12] other sessions? (was|were) signed out/);
    await expect(dialog).toBeHidden();

    await page.goto(`${base}/overview`);
    await expect(page.getByTestId("signed-in")).toContainText("vic");
    await there.page.goto(`${base}/overview`);
    await expect(there.page).toHaveURL(/\/login/);
    expect(tt(["events"])).toMatch(/user\.password.*vic/);
  } finally {
    await here.context.close();
    await there.context.close();
  }
});
