/**
 * Many live streams opened at once: every one must say `stream.ready` and then deliver the next change, and every
 * board that was still loading when the change happened must show it (the "stalled stream" of the live spec was a
 * board whose first column fetch was in flight when the event came: the refetch the event asked for was folded
 * into that older fetch, so the change never appeared; see apps/web/src/components/live-sync.ts).
 */
import { cancelTask, createTask } from "@tinytown/core";
import { column, expect, test, uniq } from "./fixtures";

const STREAMS = 40;
const BOARDS = 6;

interface Seen {
  ready: number | null;
  event: number | null;
  text: string;
}

/** Opens `town.events` as the browser's link does (SSE) and records when `stream.ready` and `taskMarker` arrive. */
function openStream(baseURL: string, name: string, taskMarker: () => string | null, signal: AbortSignal) {
  const seen: Seen = { ready: null, event: null, text: "" };
  const url = `${baseURL}/api/trpc/town.events?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`;
  const t0 = Date.now();
  const done = (async () => {
    const res = await fetch(url, { headers: { accept: "text/event-stream", cookie: `tt_name=${name}` }, signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) return;
      seen.text += decoder.decode(value, { stream: true });
      if (seen.ready === null && seen.text.includes('"type":"stream.ready"')) seen.ready = Date.now() - t0;
      const marker = taskMarker();
      if (marker && seen.text.includes(marker)) {
        seen.event = Date.now() - t0;
        return;
      }
    }
  })().catch((err: unknown) => {
    if (!signal.aborted) throw err;
  });
  return { seen, done };
}

test("40 live streams opened at once all get stream.ready and the next change; 6 loading boards all show it", async ({
  browser,
  baseURL,
  town,
}) => {
  test.setTimeout(60_000);
  const stop = new AbortController();
  let marker: string | null = null;
  const streams = Array.from({ length: STREAMS }, (_, i) =>
    openStream(baseURL!, `stress-${i}`, () => marker, stop.signal),
  );
  // Boards opening at the same moment: their first column fetches are still in flight when the change comes.
  const contexts = await Promise.all(
    Array.from({ length: BOARDS }, async (_, i) => {
      const ctx = await browser.newContext({ baseURL, viewport: { width: 1440, height: 900 } });
      await ctx.addCookies([{ name: "tt_name", value: `board-${i}`, url: baseURL! }]);
      return ctx;
    }),
  );
  const pages = await Promise.all(contexts.map((c) => c.newPage()));
  // A slow first load, made certain: each board's first column fetch is answered by the server at once but reaches
  // the page only 1.5 s later, so the change below happens while that fetch is in flight.
  for (const p of pages) {
    let first = true;
    await p.route(/\/api\/trpc\/[^?]*task\.column/, async (route) => {
      const response = await route.fetch();
      if (first) {
        first = false;
        await new Promise((r) => setTimeout(r, 1_500));
      }
      await route.fulfill({ response });
    });
  }
  await Promise.all(pages.map((p) => p.goto("/")));
  await Promise.all(
    pages.map((p) => expect(p.getByTestId("live-indicator")).toHaveAttribute("data-connected", "true")),
  );
  await expect.poll(() => streams.filter((s) => s.seen.ready !== null).length, { timeout: 5_000 }).toBe(STREAMS);

  const task = await createTask(town, { description: `Stress ${uniq("stress")}`, priority: "urgent", by: "cli" });
  marker = task.id;
  const created = Date.now();
  await expect.poll(() => streams.filter((s) => s.seen.event !== null).length, { timeout: 3_000 }).toBe(STREAMS);
  for (const p of pages)
    await expect(column(p, "backlog").getByTestId(`card-${task.id}`)).toBeVisible({ timeout: 5_000 });
  console.log(
    `live-stress: ${STREAMS} streams ready after ≤ ${Math.max(...streams.map((s) => s.seen.ready!))} ms; ` +
      `the change reached all streams and ${BOARDS} boards ${Date.now() - created} ms after it was made`,
  );
  stop.abort();
  await cancelTask(town, { taskId: task.id, by: "cli" });
  await Promise.all(streams.map((s) => s.done));
  await Promise.all(contexts.map((c) => c.close()));
});
