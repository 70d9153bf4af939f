/**
 * B9: the board in the browser with 5,000 tasks — first render, and a drop in one browser seen in a second one.
 * Standalone (no Playwright test runner): the built dashboard (apps/web/server.mjs) on this town, Debian's Chromium.
 */
import { spawn } from "node:child_process";
import { existsSync, openSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Locator, type Page } from "@playwright/test";
import { createTask } from "@tinytown/core";
import { section, type BenchContext } from "../context";
import { benchTown, pool, ROOT, stopChild, track } from "../lib/procs";
import { freePort } from "../lib/redis";
import { fmtMs } from "../lib/report";
import { median, nowMs, percentile, sleep, sortNum } from "../lib/stats";

const WEB = join(ROOT, "apps/web");
const WEB_SERVER = join(WEB, "server.mjs");
const PRIOS = ["urgent", "high", "normal", "low"] as const;

async function mouseDrag(page: Page, from: Locator, to: Locator): Promise<void> {
  const a = (await from.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 10, a.y + a.height / 2 + 10, { steps: 3 });
  const b = (await to.boundingBox())!;
  await page.mouse.move(b.x + b.width / 2, b.y + Math.min(b.height / 2, 60), { steps: 12 });
  const c = (await to.boundingBox())!;
  await page.mouse.move(c.x + c.width / 2, c.y + Math.min(c.height / 2, 60), { steps: 2 });
  await page.mouse.up();
}

export async function b9Board(ctx: BenchContext): Promise<void> {
  const lines = section(ctx, "B9", "Board in the browser: 5,000 tasks");
  if (!existsSync(join(WEB, ".next/BUILD_ID"))) {
    lines.push("Skipped: apps/web is not built (`pnpm build`).");
    ctx.rows.push({
      id: "B9",
      what: "board, 5,000 tasks",
      ours: "skipped (web not built)",
      baseline: "—",
      ratio: "—",
      p50p99: "—",
      spread: "—",
      target: "report",
      met: "n/a",
    });
    return;
  }
  const n = 5_000;
  const drops = ctx.quick ? 3 : 7;
  const bt = await benchTown(ctx.redis.tcpUrl, "b9");
  await pool(n, 64, (i) =>
    createTask(bt.town, {
      description: `Perf task ${i}: refactor module ${i % 97}`,
      priority: PRIOS[i % 4],
      tags: [`m${i % 7}`],
      by: "perf",
    }),
  );
  const port = await freePort();
  const log = openSync(join(bt.dir, "web.log"), "a");
  const web = track(
    spawn(process.execPath, [WEB_SERVER, "--host", "127.0.0.1", "--port", String(port)], {
      cwd: WEB,
      env: {
        ...process.env,
        TT_TOWN_DIR: bt.dir,
        REDIS_URL: bt.town.redisUrl,
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
      },
      stdio: ["ignore", log, log],
    }),
  );
  const base = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--no-first-run",
      "--disable-quic",
    ],
  });
  try {
    const until = Date.now() + 60_000;
    while (
      !(await fetch(`${base}/api/trpc/health.ping`)
        .then((r) => r.ok)
        .catch(() => false))
    ) {
      if (Date.now() > until || web.exitCode !== null)
        throw new Error(`the dashboard did not come up; see ${bt.dir}/web.log`);
      await sleep(200);
    }
    const open = async (name: string) => {
      const c = await browser.newContext({ baseURL: base, viewport: { width: 1440, height: 900 } });
      await c.addCookies([{ name: "tt_name", value: name, url: base }]);
      return c.newPage();
    };
    const a = await open("alice");
    const b = await open("bob");
    // First render (a warm-up load first: Next compiles nothing in production, but the first request warms caches).
    const renders: number[] = [];
    for (let i = 0; i < (ctx.quick ? 2 : 4); i++) {
      const t0 = nowMs();
      await a.goto("/");
      await a
        .getByTestId("column-backlog")
        .locator("[data-task-id]")
        .first()
        .waitFor({ state: "visible", timeout: 30_000 });
      if (i > 0) renders.push(nowMs() - t0);
    }
    await b.goto("/");
    for (const p of [a, b])
      await p.getByTestId("live-indicator").and(p.locator('[data-connected="true"]')).waitFor({ timeout: 30_000 });
    const seen: number[] = [];
    const shown: number[] = [];
    for (let i = 0; i < drops; i++) {
      const first = a.getByTestId("column-backlog").locator("[data-task-id]").first();
      const id = (await first.getAttribute("data-task-id"))!;
      await mouseDrag(a, a.getByTestId(`card-${id}`), a.getByTestId("column-failed"));
      const t0 = nowMs();
      const here = a
        .getByTestId("column-failed")
        .getByTestId(`card-${id}`)
        .waitFor({ state: "visible", timeout: 10_000 })
        .then(() => nowMs() - t0);
      const there = b
        .getByTestId("column-failed")
        .getByTestId(`card-${id}`)
        .waitFor({ state: "visible", timeout: 10_000 })
        .then(() => nowMs() - t0);
      const [h, t] = await Promise.all([here, there]);
      shown.push(h);
      seen.push(t);
      await sleep(300);
    }
    const r = sortNum(renders);
    const s = sortNum(seen);
    lines.push(
      `${n.toLocaleString("en-US")} pending tasks; the built dashboard (apps/web/server.mjs) (production) on this town; Chromium via Playwright (standalone script, same setup as e2e/perf.spec.ts). First render = navigation → first backlog card visible (${renders.length} reloads after a warm-up). Then ${drops} drops of the first backlog card onto Failed/Cancelled in browser A, timed from mouse-up until the card is in that column in A and in browser B (another person's context, live over SSE). Playwright's polling of the page adds a few ms to every figure.`,
      `First render per load: ${renders.map((x) => fmtMs(x)).join(", ")}. Drop shown in A: ${shown.map((x) => fmtMs(x)).join(", ")}. Seen in B: ${seen.map((x) => fmtMs(x)).join(", ")}.`,
    );
    ctx.rows.push({
      id: "B9",
      what: "board, 5,000 tasks: drop seen in 2nd browser",
      ours: `p50 ${fmtMs(median(seen))}`,
      baseline: "—",
      ratio: "—",
      p50p99: `first render p50 ${fmtMs(median(renders))}; drop in A p50 ${fmtMs(median(shown))}; in B ${fmtMs(percentile(s, 50))}/${fmtMs(percentile(s, 99))}`,
      spread: `B: ${fmtMs(s[0]!)}–${fmtMs(s[s.length - 1]!)}; render ${fmtMs(r[0]!)}–${fmtMs(r[r.length - 1]!)}`,
      target: "report (≪ 1 s)",
      met: median(seen) < 1000 ? "yes" : "no",
    });
    ctx.log(
      `B9: first render p50 ${fmtMs(median(renders))}; drop seen in the other browser p50 ${fmtMs(median(seen))}`,
    );
  } finally {
    await browser.close();
    await stopChild(web);
    await bt.close();
  }
}
