import { createTask, type TownEvent } from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";
import superjson from "superjson";
import { afterAll, expect, test, vi } from "vitest";

import { isEncodedOnce, transformer } from "./encode-once";
import { closeLiveHubs, eventHub } from "./hub";

const town = await testTown({}, "encode");
afterAll(async () => {
  closeLiveHubs(town);
  await town.close();
});

test("a live event reaches every subscriber as one frozen object, encoded once for all of them", async () => {
  const hub = eventHub(town);
  const stop = new AbortController();
  const firstOf = async () => {
    for await (const e of hub.subscribe({ signal: stop.signal })) if (e.type === "task.created") return e;
    throw new Error("ended");
  };
  const subscribers = [firstOf(), firstOf(), firstOf()];
  await new Promise((r) => setTimeout(r, 200));
  await createTask(town, { description: "shared", by: "cli" });
  const seen: TownEvent[] = await Promise.all(subscribers);
  stop.abort();
  expect(seen[1]).toBe(seen[0]);
  expect(seen[2]).toBe(seen[0]);
  expect(Object.isFrozen(seen[0])).toBe(true);
  const spy = vi.spyOn(superjson, "serialize");
  const wire = seen.map((e) => JSON.stringify(transformer.serialize(e)));
  expect(spy).toHaveBeenCalledTimes(1);
  spy.mockRestore();
  expect(new Set(wire).size).toBe(1);
  expect(isEncodedOnce(seen[0]!)).toBe(true);
  expect(transformer.deserialize<TownEvent>(JSON.parse(wire[0]!) as ReturnType<typeof superjson.serialize>)).toEqual(
    seen[0],
  );
});

test("anything else is encoded afresh each time (a query result may change between calls)", () => {
  const row = { id: "t1", n: 1 };
  const spy = vi.spyOn(superjson, "serialize");
  transformer.serialize(row);
  row.n = 2;
  expect(transformer.serialize(row)).toEqual(superjson.serialize({ id: "t1", n: 2 }));
  expect(spy).toHaveBeenCalledTimes(3);
  spy.mockRestore();
});
