/**
 * A phone-sized screen (390×844, touch): every page of the nav is reachable and no link is cut short; the audit
 * reads as sentences, not a few characters per line; log lines wrap between words (a long token alone may break).
 */
import { createTask, writeTaskLog } from "@tinytown/core";
import { expect, test, uniq } from "./fixtures";

test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

test("on a phone: the nav reaches every page with whole names; the audit reads in lines of words", async ({
  page,
  town,
}) => {
  await createTask(town, { description: `Phone audit ${uniq("t")}`, by: "cli" });
  await page.goto("/audit");
  const nav = page.getByRole("navigation", { name: "Main" });
  const links = nav.getByRole("link");
  const names = await links.allTextContents();
  expect(names).toEqual(expect.arrayContaining(["Board", "Overview", "Messages", "Queues", "Audit"]));
  for (let i = 0; i < names.length; i += 1) {
    const link = links.nth(i);
    await link.scrollIntoViewIfNeeded();
    // Whole: the text is not clipped by its box, and the box is inside the screen once scrolled to.
    const clipped = await link.evaluate((el) => el.scrollWidth > el.clientWidth + 1);
    expect(clipped, `${names[i]} is cut short`).toBe(false);
    const box = (await link.boundingBox())!;
    expect(box.x, names[i]).toBeGreaterThanOrEqual(-1);
    expect(box.x + box.width, names[i]).toBeLessThanOrEqual(391); // sub-pixel: a link scrolled to the edge ends at 390.1
  }

  // Each audit entry's text is given most of the screen's width (it was 1–4 characters per line).
  const text = page.getByTestId("audit-text").first();
  await expect(text).toBeVisible();
  expect((await text.boundingBox())!.width).toBeGreaterThan(200);
});

test("on a phone: a task's log wraps between words, and only a token longer than the line is broken", async ({
  page,
  town,
}) => {
  const task = await createTask(town, { description: `Wrap ${uniq("t")}`, by: "cli" });
  const sentence =
    "Reading the configuration of the payment service and checking every handler for missing rate limits before writing tests";
  const token = `sha256:${"ab".repeat(60)}`;
  await writeTaskLog(town, task.id, [
    { stream: "out", line: sentence },
    { stream: "out", line: token },
  ]);
  await page.goto(`/tasks/${task.id}`);
  const lines = page.getByTestId("log-line");
  await expect(lines).toHaveCount(2);

  // Every word of the sentence sits on one line box: none is split across two lines.
  const split = await lines.nth(0).evaluate((el) => {
    const node = [...el.querySelectorAll("*"), el]
      .flatMap((e) => [...e.childNodes])
      .find((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? "").includes("configuration"))!;
    const text = node.textContent!;
    const broken: string[] = [];
    let at = 0;
    for (const word of text.split(" ")) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + word.length);
      const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (tops.size > 1) broken.push(word);
      at += word.length + 1;
    }
    const all = document.createRange();
    all.selectNodeContents(node);
    return { broken, lines: new Set([...all.getClientRects()].map((r) => Math.round(r.top))).size };
  });
  expect(split.lines, "the sentence wraps on a phone").toBeGreaterThan(1);
  expect(split.broken).toEqual([]);

  // The long token still fits the screen: it breaks rather than widening the page.
  const tokenBox = (await lines.nth(1).boundingBox())!;
  expect(tokenBox.x + tokenBox.width).toBeLessThanOrEqual(390);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});
