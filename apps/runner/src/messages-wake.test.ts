/**
 * Messages that move work, on a real runner: a message wakes an idle agent (a round whose prompt is its inbox), chatter
 * does not, and an agent that asks a human (`tt ask` through the agent API) waits without a process until a person
 * answers, then runs again with the answer in its prompt.
 */
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  answerNeed,
  claimNeed,
  createTask,
  findAgent,
  getTask,
  inboxLength,
  isInboxRound,
  listNeeds,
  listTasks,
  readEvents,
  sendMessageWaking,
  spawnAgent,
  type Task,
} from "@tinytown/core";
import { fixtureModel, fixtureTown, readJsonl, waitFor, type FixtureTown, cleanupAfterEach } from "../test/helpers";
import { startRunner, type RunnerHandle } from "./runner";

const cleanup = cleanupAfterEach();

async function setup(): Promise<FixtureTown & { runner: RunnerHandle }> {
  const ft = await fixtureTown({
    models: (fx) => ({
      asker: fixtureModel(fx, "ask.mjs"),
      echo: fixtureModel(fx, "echo.mjs"),
      "mcp-asker": fixtureModel(fx, "mcp-ask.mjs"),
    }),
  });
  cleanup(() => ft.town.close());
  // Reconcile repairs lost enqueues every 300 ms here: a waiting task must not be run again by it.
  const runner = await startRunner(ft.town, {
    logLevel: "silent",
    heartbeatMs: 300,
    reconcileMs: 300,
    enqueueRepairMs: 300,
  });
  cleanup(() => runner.stop(0));
  return { ...ft, runner };
}

async function idleAgent(ft: FixtureTown, name: string, model: string) {
  const agent = await spawnAgent(ft.town, { name, model, by: "cli" });
  await waitFor("agent ready", async () => (await findAgent(ft.town, agent.id))?.state === "idle");
  return agent;
}

const rounds = async (ft: FixtureTown, agentId: string): Promise<Task[]> =>
  (await listTasks(ft.town, { agent: agentId, limit: 100 })).items.filter(isInboxRound);

describe("messages wake agents", () => {
  test("a message to an idle sim agent starts a round that reads it, as fast as a task", async () => {
    const ft = await setup();
    const agent = await idleAgent(ft, "worker-1", "sim");
    const sentAt = Date.now();
    const { message, round } = await sendMessageWaking(ft.town, {
      to: "worker-1",
      from: "ada",
      body: "Please update the README",
    });
    expect(round?.assignedTo).toBe(agent.id);
    const done = await waitFor(
      "round completed",
      async () => {
        const t = await getTask(ft.town, round!.id);
        return t.state === "completed" ? t : null;
      },
      15_000,
    );
    const started = (await readEvents(ft.town, { count: 500 })).find(
      (e) => e.type === "task.started" && e.taskId === done.id,
    );
    // Pickup latency: the message sent → the round's run started (printed for the report).
    console.log(`wake pickup: ${started!.at - sentAt} ms (send → task.started)`);
    expect(started!.at - sentAt).toBeLessThan(1_000);
    expect(done.createdBy).toBe("ada");
    // The message was in the round's prompt and was consumed by it: nothing left to read.
    expect(await inboxLength(ft.town, agent.id)).toBe(0);
    expect(message.type).toBe("info");
  });

  test("the round's prompt is the inbox; a second message while a round waits joins it instead of a new round", async () => {
    const ft = await setup();
    const agent = await idleAgent(ft, "echoer", "echo");
    await ft.runner.stop(0); // nobody runs the round until both messages are in
    const a = await sendMessageWaking(ft.town, { to: "echoer", from: "ada", body: "first: check the docs" });
    const b = await sendMessageWaking(ft.town, { to: "echoer", from: "bob", type: "query", body: "second: any news?" });
    expect(a.round).not.toBeNull();
    expect(b.round).toBeNull();
    const runner = await startRunner(ft.town, { logLevel: "silent", heartbeatMs: 300, reconcileMs: 500 });
    cleanup(() => runner.stop(0));
    await waitFor("round done", async () => (await getTask(ft.town, a.round!.id)).state === "completed", 15_000);
    const [rec] = readJsonl<{ stdin: string }>(join(ft.fx, `echo-${a.round!.id}.jsonl`));
    expect(rec!.stdin).toContain("first: check the docs");
    expect(rec!.stdin).toContain("second: any news?");
    expect(rec!.stdin.indexOf("## Messages for you")).toBeLessThan(rec!.stdin.indexOf("## Your task"));
    expect(await rounds(ft, agent.id)).toHaveLength(1);
  });

  test("chatter does not wake: replies, acks and an agent's info wait in the inbox", async () => {
    const ft = await setup();
    const agent = await idleAgent(ft, "quiet", "sim");
    await idleAgent(ft, "chatty", "sim");
    for (const type of ["ack", "pong", "status_response", "task_done"] as const)
      expect((await sendMessageWaking(ft.town, { to: "quiet", from: "ada", type, body: type })).round).toBeNull();
    // From another agent, plain info is chatter; a query is a question for it.
    expect((await sendMessageWaking(ft.town, { to: "quiet", from: "chatty", body: "fyi" })).round).toBeNull();
    expect(await inboxLength(ft.town, agent.id)).toBe(5);
    const q = await sendMessageWaking(ft.town, { to: "quiet", from: "chatty", type: "query", body: "which port?" });
    expect(q.round).not.toBeNull();
  });
});

describe("agents ask humans", () => {
  test("tt ask parks the task without a process; the answer runs it again with the answer in its prompt", async () => {
    const ft = await setup();
    const agent = await idleAgent(ft, "asker", "asker");
    const task = await createTask(ft.town, { description: "Which colour for the logo?", assignTo: "asker", by: "ada" });
    const parked = await waitFor(
      "task waiting for a human",
      async () => {
        const t = await getTask(ft.town, task.id);
        return t.waitingFor && t.state === "assigned" ? t : null;
      },
      15_000,
    );
    // The run ended: the agent is free and no process burns tokens while the question waits.
    await waitFor("agent idle", async () => (await findAgent(ft.town, agent.id))?.state === "idle");
    const { items, count } = await listNeeds(ft.town);
    expect(count).toBe(1);
    expect(items[0]).toMatchObject({
      id: parked.waitingFor,
      kind: "question",
      title: "Which colour for the logo?",
      options: ["Blue", "Green"],
      agentName: "asker",
      taskId: task.id,
    });
    const asked = readJsonl<{ step?: string; code?: number; out?: string }>(join(ft.fx, `ask-${task.id}.jsonl`));
    expect(asked.find((r) => r.step === "ask")).toMatchObject({ code: 0 });
    // Nothing runs it again on its own (reconcile skips a waiting task).
    await new Promise((r) => setTimeout(r, 1_200));
    expect((await getTask(ft.town, task.id)).attempts).toBe(1);

    await claimNeed(ft.town, { id: parked.waitingFor!, by: "bob" });
    await answerNeed(ft.town, { id: parked.waitingFor!, answer: "Green, like the brand", by: "bob" });
    const done = await waitFor(
      "completed with the answer",
      async () => {
        const t = await getTask(ft.town, task.id);
        return t.state === "completed" ? t : null;
      },
      15_000,
    );
    expect(done.attempts).toBe(2);
    expect(done.result).toContain("going on with the answer: Green, like the brand");
    const prompts = readJsonl<{ prompt?: string }>(join(ft.fx, `ask-${task.id}.jsonl`)).filter((r) => r.prompt);
    expect(prompts).toHaveLength(2);
    expect(prompts[1]!.prompt).toContain("Answer from bob");
    expect((await listNeeds(ft.town)).count).toBe(0);
  });

  test("the MCP server's ask_human tool, inside a run, asks through the agent API and parks the task", async () => {
    const ft = await setup();
    await idleAgent(ft, "mcp-asker", "mcp-asker");
    const task = await createTask(ft.town, { description: "Deploy on Friday?", assignTo: "mcp-asker", by: "ada" });
    const parked = await waitFor(
      "task waiting",
      async () => {
        const t = await getTask(ft.town, task.id);
        return t.waitingFor ? t : null;
      },
      20_000,
    );
    const [rec] = await waitFor("tool reply recorded", () => {
      const l = readJsonl<{ tools: string[]; reply: { result: { content: { text: string }[] } } }>(
        join(ft.fx, `mcp-ask-${task.id}.jsonl`),
      );
      return l.length > 0 ? l : null;
    });
    expect(rec!.tools).toEqual(["ask_human"]);
    expect(rec!.reply.result.content[0]!.text).toContain("End your run now");
    expect((await listNeeds(ft.town)).items.find((n) => n.id === parked.waitingFor)).toMatchObject({
      title: "Deploy on Friday?",
      options: ["Yes", "No"],
    });
  });
});
