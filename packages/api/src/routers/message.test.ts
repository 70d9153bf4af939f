import { afterAll, describe, expect, test } from "vitest";

import { readEvents, SUPERVISOR } from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";

import { callerFor, httpCall } from "../test-utils";

const town = await testTown();
afterAll(() => town.close());

describe("message router", () => {
  test("send: from supervisor unless given, the sender recorded in data.by; inbox peeks in read order", async () => {
    const api = callerFor(town, "alice");
    const agent = await api.agent.spawn({ name: "reader", model: "sim" });
    const m1 = await api.message.send({ to: "reader", body: "when you can", priority: "low" });
    expect(m1).toMatchObject({
      from: "supervisor",
      to: agent.id,
      type: "info",
      priority: "low",
      data: { by: "alice" },
    });
    await api.message.send({ to: "reader", body: "first", type: "query", from: "reviewer" });
    await api.message.send({ to: agent.id, body: "drop everything", priority: "urgent" });

    const inbox = await api.message.inbox({ mailbox: "reader" });
    expect(inbox.map((m) => [m.body, m.from])).toEqual([
      ["drop everything", "supervisor"],
      ["first", "reviewer"],
      ["when you can", "supervisor"],
    ]);
    expect(await api.message.inbox({ mailbox: "reader", limit: 1 })).toHaveLength(1);
    // Peeking takes nothing.
    expect(await api.message.inbox({ mailbox: "reader" })).toHaveLength(3);

    const sent = (await readEvents(town, { count: 100 })).filter(
      (e) => e.type === "message.sent" && e.messageId === m1.id,
    );
    expect(sent).toHaveLength(1);
  });

  test("the supervisor mailbox (alias conductor) receives too", async () => {
    const api = callerFor(town, "bob");
    await api.message.send({ to: "conductor", body: "status?" });
    const inbox = await api.message.inbox({ mailbox: SUPERVISOR });
    expect(inbox.at(-1)).toMatchObject({ to: SUPERVISOR, body: "status?", data: { by: "bob" } });
  });

  test("errors: unknown mailbox NOT_FOUND; bad type or oversized body BAD_REQUEST naming the field", async () => {
    const api = callerFor(town);
    await expect(api.message.send({ to: "ghost", body: "hi" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(api.message.inbox({ mailbox: "ghost" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // @ts-expect-error: not a message type
    await expect(api.message.send({ to: "supervisor", body: "hi", type: "shout" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("type:") as string,
    });
    await expect(api.message.send({ to: "supervisor", body: "x".repeat(70_000) })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("body: the message is over 64 KiB") as string,
    });
    const wire = await httpCall(town, "mutation", "message.send", { to: "", body: "hi" });
    expect(wire.status).toBe(400);
    expect(wire.error?.data.core).toMatchObject({ code: "VALIDATION" });
  });
});
