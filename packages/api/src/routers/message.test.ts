import { afterAll, describe, expect, test } from "vitest";

import { addUser, createSession, createToken, readEvents, SUPERVISOR, type Role } from "@tinytown/core";
import { testTown } from "@tinytown/core/testing";

import { createContext, SESSION_COOKIE } from "../context";
import { createCaller } from "../root";
import { callerFor, httpCall } from "../test-utils";

const town = await testTown();
const withUsers = await testTown({}, "msgauth");
afterAll(() => Promise.all([town.close(), withUsers.close()]));

/** A caller signed in as a new user of `withUsers` with `role`. */
async function signedIn(name: string, role: Role) {
  await addUser(withUsers, { name, role, password: "correct horse battery", by: "cli" });
  const id = await createSession(withUsers, name);
  return createCaller(createContext({ headers: new Headers({ cookie: `${SESSION_COOKIE}=${id}` }), town: withUsers }));
}

describe("message router", () => {
  test("send: from (and by) is the caller, whatever `from` the client sends; inbox peeks in read order", async () => {
    const api = callerFor(town, "alice");
    const agent = await api.agent.spawn({ name: "reader", model: "sim" });
    const m1 = await api.message.send({ to: "reader", body: "when you can", priority: "low" });
    expect(m1).toMatchObject({
      from: "alice",
      to: agent.id,
      type: "info",
      priority: "low",
      data: { by: "alice" },
    });
    // @ts-expect-error: `from` is not an input; a client that sends it anyway is ignored
    await api.message.send({ to: "reader", body: "first", type: "query", from: "reviewer" });
    await api.message.send({ to: agent.id, body: "drop everything", priority: "urgent" });

    const inbox = await api.message.inbox({ mailbox: "reader" });
    expect(inbox.map((m) => [m.body, m.from])).toEqual([
      ["drop everything", "alice"],
      ["first", "alice"],
      ["when you can", "alice"],
    ]);
    expect(await api.message.inbox({ mailbox: "reader", limit: 1 })).toHaveLength(1);
    // Peeking takes nothing.
    expect(await api.message.inbox({ mailbox: "reader" })).toHaveLength(3);

    const sent = (await readEvents(town, { count: 100 })).filter((e) => e.type === "message.sent");
    expect(sent.map((e) => [e.by, e.from])).toEqual([
      ["alice", "alice"],
      ["alice", "alice"],
      ["alice", "alice"],
    ]);
  });

  test("with users: a signed-in user or a token is the sender, also over HTTP with a forged `from`", async () => {
    const ada = await signedIn("ada", "operator");
    const m = await ada.message.send({ to: SUPERVISOR, body: "from the dashboard" });
    expect(m).toMatchObject({ from: "ada", data: { by: "ada" } });
    const { token } = await createToken(withUsers, { name: "ci-bot", role: "operator", by: "cli" });
    const wire = await httpCall(
      withUsers,
      "mutation",
      "message.send",
      {
        to: SUPERVISOR,
        body: "from a script",
        from: "supervisor",
        data: { by: "root" },
      },
      undefined,
      { authorization: `Bearer ${token}` },
    );
    expect(wire.status).toBe(200);
    expect(wire.data).toMatchObject({ from: "token:ci-bot", data: { by: "token:ci-bot" } });
    const events = (await readEvents(withUsers, { count: 100 })).filter((e) => e.type === "message.sent");
    expect(events.map((e) => e.by)).toEqual(["ada", "token:ci-bot"]);
  });

  test("a shutdown message needs the admin role, like closing the agent; other types the operator role", async () => {
    const root = await signedIn("root", "admin");
    const olga = await signedIn("olga", "operator");
    const agent = await root.agent.spawn({ name: "worker", model: "sim" });
    await expect(olga.message.send({ to: "worker", body: "stop", type: "shutdown" })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining("olga is an operator; a shutdown message needs the admin role") as string,
    });
    expect(await root.message.inbox({ mailbox: "worker" })).toEqual([]);
    await expect(olga.message.send({ to: "worker", body: "status?", type: "status_request" })).resolves.toBeTruthy();
    await expect(olga.message.send({ to: "worker", body: "now!", priority: "urgent" })).resolves.toBeTruthy();
    const sent = await root.message.send({ to: "worker", body: "stop", type: "shutdown" });
    expect(sent).toMatchObject({ type: "shutdown", from: "root", to: agent.id });
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
