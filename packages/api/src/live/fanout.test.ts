import { describe, expect, test } from "vitest";

import { Fanout, type FanoutSource } from "./fanout";

interface Item {
  id: string;
}

/** An in-memory stream: `add` appends and wakes the follower. */
function memorySource(endIsNormal = false) {
  const items: Item[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  let seq = 0;
  const source: FanoutSource<Item> = {
    what: "test items",
    endIsNormal,
    head: async () => items.at(-1)?.id ?? "0-0",
    read: async (after, count) =>
      items.filter((i) => Number(i.id.split("-")[1]) > Number(after.split("-")[1])).slice(0, count),
    async *follow(after, signal) {
      let cursor = Number(after.split("-")[1]);
      while (!signal.aborted && !ended) {
        const next = items.filter((i) => Number(i.id.split("-")[1]) > cursor);
        for (const i of next) {
          cursor = Number(i.id.split("-")[1]);
          yield i;
        }
        if (next.length === 0) {
          await new Promise<void>((resolve) => {
            const done = () => {
              signal.removeEventListener("abort", done);
              resolve();
            };
            wake = done;
            signal.addEventListener("abort", done, { once: true });
          });
        }
      }
    },
  };
  return {
    source,
    add: (n = 1) => {
      for (let i = 0; i < n; i++) items.push({ id: `1-${++seq}` });
      wake?.();
    },
    end: () => {
      ended = true;
      wake?.();
    },
  };
}

async function collect(gen: AsyncGenerator<Item>, n: number): Promise<string[]> {
  const out: string[] = [];
  for await (const i of gen) {
    out.push(i.id);
    if (out.length === n) break;
  }
  return out;
}

describe("Fanout", () => {
  test("a subscriber that falls too far behind is dropped with an error; the others keep going", async () => {
    const mem = memorySource();
    const fan = new Fanout(mem.source, { maxBuffer: 5, replayPage: 100, lingerMs: 0 });
    const slow = fan.subscribe({});
    const fast = fan.subscribe({});
    const slowFirst = slow.next();
    const fastFirst = fast.next();
    await new Promise((r) => setTimeout(r, 10));
    mem.add(1);
    expect((await slowFirst).value).toEqual({ id: "1-1" });
    expect((await fastFirst).value).toEqual({ id: "1-1" });
    // `fast` keeps reading; `slow` does not read while 10 more arrive.
    const fastRest = collect(fast, 10);
    for (let i = 0; i < 10; i++) {
      mem.add(1);
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await fastRest).toHaveLength(10);
    await expect(slow.next()).rejects.toMatchObject({
      code: "TIMEOUT",
      message: expect.stringContaining("fell more than 5 items behind") as string,
    });
    expect(fan.subscriberCount).toBe(0);
    fan.close();
  });

  test("a follower that ends on its own ends subscribers normally when that is the stream's nature, with an error otherwise", async () => {
    for (const normal of [true, false]) {
      const mem = memorySource(normal);
      const fan = new Fanout(mem.source, { maxBuffer: 100, replayPage: 100, lingerMs: 0 });
      const sub = fan.subscribe({ after: "0-0" });
      mem.add(2);
      const got = collect(sub, 3);
      await new Promise((r) => setTimeout(r, 10));
      mem.end();
      if (normal) expect(await got).toEqual(["1-1", "1-2"]);
      else await expect(got).rejects.toMatchObject({ code: "REDIS_UNAVAILABLE" });
      fan.close();
    }
  });

  test("the follower stops after its last subscriber leaves and restarts for the next", async () => {
    const mem = memorySource();
    let idle = 0;
    const fan = new Fanout(mem.source, { maxBuffer: 100, replayPage: 2, lingerMs: 5 }, () => idle++);
    mem.add(5);
    // Replay in pages of 2, then live.
    const sub = fan.subscribe({ after: "0-0" });
    const first = collect(sub, 6);
    await new Promise((r) => setTimeout(r, 10));
    mem.add(1);
    expect(await first).toEqual(["1-1", "1-2", "1-3", "1-4", "1-5", "1-6"]);
    await new Promise((r) => setTimeout(r, 30));
    expect(idle).toBe(1);
    const again = fan.subscribe({ after: "1-6" });
    const next = collect(again, 1);
    await new Promise((r) => setTimeout(r, 10));
    mem.add(1);
    expect(await next).toEqual(["1-7"]);
    fan.close();
  });
});
