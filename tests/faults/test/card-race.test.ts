/**
 * Two people move the same card at the same moment, again and again: both send task.move over HTTP with the
 * state and version they saw, to different agents. Exactly one wins each time; the other gets CONFLICT carrying
 * the task's current state (who has it, at which version), and the card's history has one change per round.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTask, getTask, spawnAgent, taskHistory } from "@tinytown/core";
import { httpCall, type CallResult } from "../src/api";
import { Harness } from "../src/harness";
import { checkInvariants } from "../src/invariants";
import { report } from "../src/report";
import { SIZE } from "../src/size";

let h: Harness;
beforeAll(async () => {
  // No runner: the card stays where it is dropped.
  h = await Harness.create();
});
afterAll(async () => h?.close());

test(`two people move the same card at once, ${SIZE.races} times: exactly one wins, the other sees why`, async () => {
  const started = Date.now();
  const ana = await spawnAgent(h.town, { name: "ana-agent", model: "work", by: "faults" });
  const bob = await spawnAgent(h.town, { name: "bob-agent", model: "work", by: "faults" });
  const card = await createTask(h.town, { description: "the contested card", by: "faults" });
  h.ledger.task(card.id, ["pending", "assigned"]);
  // Each person reaches the API through their own server connection, and either may be a moment first.
  const towns = [h.town, await h.connectAgain()] as const;
  const wins = { ana: 0, bob: 0 };
  for (let round = 0; round < SIZE.races; round++) {
    const seen = await getTask(h.town, card.id);
    const move = async (agent: string, who: 0 | 1) => {
      if (Math.random() < 0.5) await new Promise((r) => setImmediate(r));
      return httpCall(towns[who], "mutation", "task.move", {
        taskId: card.id,
        target: { kind: "agent", agent },
        expectedState: seen.state,
        expectedVersion: seen.version,
      });
    };
    const anaFirst = Math.random() < 0.5;
    const both: [CallResult, CallResult] = await Promise.all(
      anaFirst ? [move(ana.name, 0), move(bob.name, 1)] : [move(bob.name, 1), move(ana.name, 0)],
    );
    const [a, b] = anaFirst ? [both[0], both[1]] : [both[1], both[0]];
    const results = [a, b];
    const winners = results.filter((r) => r.status === 200);
    const losers = results.filter((r) => r.status !== 200);
    expect(winners, `round ${round}: ${a.status}/${b.status}`).toHaveLength(1);
    const loser = losers[0]!;
    expect(loser.status, loser.text).toBe(409);
    expect(loser.error?.data.code).toBe("CONFLICT");
    const won = winners[0]!.data as { assignedTo: string; version: number; state: string };
    // The loser sees the state the winner made: assigned to the winner's agent, at the winner's version.
    expect(loser.error?.data.core?.code).toBe("CONFLICT");
    expect(loser.error?.data.core?.details).toMatchObject({
      state: "assigned",
      version: won.version,
      assignedTo: won.assignedTo,
    });
    expect(loser.error?.message).toMatch(/changed since you saw it/);
    expect(won.version).toBe(seen.version + 1);
    if (won.assignedTo === ana.id) wins.ana++;
    else wins.bob++;
    const now = await getTask(h.town, card.id);
    expect(now).toMatchObject({ state: "assigned", version: won.version, assignedTo: won.assignedTo });
  }
  // One change per round in the card's history (created + one per round), none lost, none doubled.
  const history = await taskHistory(h.town, card.id);
  expect(history.filter((e) => e.type === "task.assigned")).toHaveLength(SIZE.races);
  expect((await getTask(h.town, card.id)).version).toBe(card.version + SIZE.races);
  expect(wins.ana + wins.bob).toBe(SIZE.races);
  // A real race: each side won some rounds.
  expect(Math.min(wins.ana, wins.bob), JSON.stringify(wins)).toBeGreaterThan(0);
  const figures = await checkInvariants(h, { crashes: 0 });
  report({
    scenario: "same card moved by two people",
    ...figures,
    rounds: SIZE.races,
    wins: `${wins.ana}/${wins.bob}`,
    ms: Date.now() - started,
  });
}, 60_000);
