/**
 * Messages handed to a run leave the inbox only when that run ends normally; a cut run gives them back in their
 * original order. Driven through the same core calls the runner and the CLI make.
 */
import { afterAll, expect, test } from "vitest";
import { testTown } from "../testing";
import { spawnAgent } from "../agent/agent.service";
import { stopAgent } from "../agent/lifecycle";
import { cancelTask, completeTask, createTask, failTask, requeueTask, startTask } from "../task/task.service";
import { peek, sendMessage } from "./channel";
import { inflightMessages, takeForRun } from "./inflight";

const town = await testTown({}, "inflight");
afterAll(() => town.close());

let n = 0;
/** An agent with an urgent ping and three messages (sent low, normal, urgent); a running task took those three. */
async function runWithMessages() {
  const agent = await spawnAgent(town, { name: `agent-${++n}`, model: "claude", by: "cli" });
  const ping = await sendMessage(town, {
    to: agent.id,
    body: "ping",
    type: "ping",
    priority: "urgent",
    from: "supervisor",
  });
  const low = await sendMessage(town, { to: agent.id, body: "low", priority: "low", from: "supervisor" });
  const normal = await sendMessage(town, { to: agent.id, body: "normal", from: "supervisor" });
  const urgent = await sendMessage(town, { to: agent.id, body: "urgent", priority: "urgent", from: "supervisor" });
  const task = await createTask(town, { description: "work", assignTo: agent.id, by: "cli" });
  const running = await startTask(town, { taskId: task.id, agentId: agent.id, by: "runner:r1" });
  const taken = await takeForRun(town, { agentId: agent.id, taskId: task.id, attempt: 1, leave: ["ping"] });
  expect(taken).toEqual([urgent, normal, low]);
  // Control messages stay for the runner; the rest are held by the run, visible as such.
  expect(await peek(town, agent.id)).toEqual([ping]);
  expect(await inflightMessages(town, agent.id)).toEqual({
    run: { taskId: task.id, attempt: 1 },
    messages: [urgent, normal, low],
  });
  return { agent, task: running, inOrder: [urgent, normal, low], ping };
}

test("a requeued run (runner lost, interrupt, shutdown) gives its messages back with their original order", async () => {
  const { agent, task, inOrder, ping } = await runWithMessages();
  const later = await sendMessage(town, { to: agent.id, body: "interrupting", priority: "urgent", from: "supervisor" });
  await requeueTask(town, { taskId: task.id, reason: "runner lost", by: "runner:r2", expectedVersion: task.version });
  const [first, ...rest] = inOrder;
  expect(await peek(town, agent.id)).toEqual([ping, first, later, ...rest]);
  expect((await inflightMessages(town, agent.id)).messages).toEqual([]);
});

test("completed or failed by the agent: the messages were read, they are gone", async () => {
  const a = await runWithMessages();
  await completeTask(town, { taskId: a.task.id, result: "done", by: a.agent.name });
  expect(await peek(town, a.agent.id)).toEqual([a.ping]);
  expect((await inflightMessages(town, a.agent.id)).messages).toEqual([]);

  const b = await runWithMessages();
  await failTask(town, { taskId: b.task.id, error: "exit code 1", by: "runner:r1" });
  expect(await peek(town, b.agent.id)).toEqual([b.ping]);
});

test("failed without the agent handling them (timeout, lost runner): given back", async () => {
  const { agent, task, inOrder, ping } = await runWithMessages();
  await failTask(town, { taskId: task.id, error: "timed out", by: "runner:r1", messages: "return" });
  expect(await peek(town, agent.id)).toEqual([ping, ...inOrder]);
});

test("tt kill and cancel give the messages back to the inbox", async () => {
  const a = await runWithMessages();
  await stopAgent(town, a.agent.id, { by: "ana" });
  expect(await peek(town, a.agent.id)).toEqual([a.ping, ...a.inOrder]);

  const b = await runWithMessages();
  await cancelTask(town, { taskId: b.task.id, by: "ana" });
  expect(await peek(town, b.agent.id)).toEqual([b.ping, ...b.inOrder]);
});

test("a hold left by a run that ended without settling it is given back before the next run takes", async () => {
  const { agent, inOrder, ping } = await runWithMessages();
  // As if the settle step after the task's change was lost: the next run (another task) still sees everything.
  const next = await createTask(town, { description: "next", assignTo: agent.id, by: "cli" });
  const taken = await takeForRun(town, { agentId: agent.id, taskId: next.id, attempt: 1, leave: ["ping"] });
  expect(taken).toEqual(inOrder);
  expect(await peek(town, agent.id)).toEqual([ping]);
  expect((await inflightMessages(town, agent.id)).run).toEqual({ taskId: next.id, attempt: 1 });
});
