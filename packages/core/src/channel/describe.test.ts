import { describe, expect, test } from "vitest";

import { describeEvent } from "./describe";
import type { TownEvent } from "./event-types";

const names: Record<string, string> = { a1: "worker-1", a2: "worker-2" };
const nameOf = (id: string) => names[id] ?? null;
const ev = (e: Partial<TownEvent> & Pick<TownEvent, "type">): TownEvent => ({ id: "1-0", at: 0, by: "ada", ...e });

describe("describeEvent: events in plain words", () => {
  test.each([
    [
      { type: "task.assigned", title: "Fix login", from: "assigned", prevAgentId: "a1", agentId: "a2" },
      "ada moved 'Fix login' from worker-1 to worker-2",
    ],
    [
      { type: "task.assigned", title: "Fix login", from: "pending", agentId: "a2" },
      "ada assigned 'Fix login' to worker-2",
    ],
    [{ type: "task.created", title: "Fix login\nsecond line", to: "pending" }, "ada created 'Fix login'"],
    [{ type: "task.unassigned", title: "Fix login" }, "ada moved 'Fix login' back to the backlog"],
    [{ type: "task.completed", title: "Fix login", by: "runner:x", agentId: "a1" }, "worker-1 completed 'Fix login'"],
    [
      { type: "task.failed", title: "Fix login", agentId: "a1", error: "exit 1\nstack" },
      "'Fix login' failed on worker-1: exit 1",
    ],
    [{ type: "task.cancelled", taskId: "0123456789ab" }, "ada cancelled task 01234567"],
    [{ type: "agent.spawned", name: "worker-3", model: "sim" }, "ada spawned worker-3 (sim)"],
    [{ type: "agent.state", name: "worker-1", action: "kill", to: "stopped" }, "ada stopped worker-1"],
    [
      { type: "message.sent", toName: "worker-1", preview: "hi", msgType: "info" },
      "ada sent a message to worker-1: 'hi'",
    ],
    [{ type: "user.role", user: "bob", role: "admin" }, "ada made bob an admin"],
    [{ type: "user.role", user: "bob", role: "viewer" }, "ada made bob a viewer"],
    [{ type: "user.added", user: "bob", role: "operator" }, "ada added bob as operator"],
    [{ type: "token.created", token: "ci-bot", role: "operator" }, "ada created the token ci-bot (operator)"],
    [{ type: "token.revoked", token: "ci-bot" }, "ada revoked the token ci-bot"],
  ] as [Partial<TownEvent> & Pick<TownEvent, "type">, string][])("%o", (e, words) => {
    expect(describeEvent(ev(e), nameOf)).toBe(words);
  });

  test("an agent that is gone is named by its id", () => {
    expect(
      describeEvent(ev({ type: "task.assigned", title: "T", from: "pending", agentId: "ffffffff99" }), nameOf),
    ).toBe("ada assigned 'T' to agent ffffffff");
  });
});
