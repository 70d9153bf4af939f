import { afterAll, describe, expect, test } from "vitest";

import { spawnAgent } from "../agent/agent.service";
import { type CoreError } from "../errors";
import { testTown } from "../testing";
import { AGENT_STATES } from "../agent/agent";
import { agentTakesWork, BOARD_COLUMNS, canMove, columnOf, stateAfterMove, type MoveTarget } from "./board";
import { TASK_STATES, type Task, type TaskState } from "./task";
import { cancelTask, completeTask, createTask, failTask, getTask, startTask } from "./task.service";
import { moveTask } from "./task-move";

const town = await testTown();
afterAll(() => town.close());

test("every task state is shown in exactly one column", () => {
  const shown = BOARD_COLUMNS.flatMap((c) => c.states);
  expect([...shown].sort()).toEqual([...TASK_STATES].sort());
  for (const s of TASK_STATES) expect(BOARD_COLUMNS.find((c) => c.id === columnOf(s))!.states).toContain(s);
});

/** A task in `state` assigned (when the state has an agent) to a fresh agent. */
async function taskIn(state: TaskState, n: number): Promise<{ task: Task; agent: string }> {
  const agent = await spawnAgent(town, { name: `holder-${state}-${n}`, model: "sim", by: "cli" });
  if (state === "pending")
    return { task: await createTask(town, { description: state, by: "cli" }), agent: agent.name };
  const t = await createTask(town, { description: state, assignTo: agent.id, by: "cli" });
  if (state === "cancelled") await cancelTask(town, { taskId: t.id, by: "cli" });
  if (["running", "completed", "failed"].includes(state))
    await startTask(town, { taskId: t.id, agentId: agent.id, by: "r" });
  if (state === "completed") await completeTask(town, { taskId: t.id, by: "cli" });
  if (state === "failed") await failTask(town, { taskId: t.id, error: "boom", by: "cli" });
  return { task: await getTask(town, t.id), agent: agent.name };
}

describe("the board lights up exactly the moves core accepts", async () => {
  const other = await spawnAgent(town, { name: "other", model: "sim", by: "cli" });
  const targets: MoveTarget[] = [{ kind: "agent", agent: other.name }, { kind: "backlog" }, { kind: "cancelled" }];
  let n = 0;
  for (const state of TASK_STATES) {
    for (const target of targets) {
      const legal = canMove(state, null, target);
      test(`${state} → ${target.kind}: ${legal ? `moves, to ${stateAfterMove(target)}` : "refused"}`, async () => {
        const { task, agent } = await taskIn(state, n++);
        const assignee = task.assignedTo ? agent : null;
        expect(canMove(state, assignee, target)).toBe(legal);
        const moved = moveTask(town, {
          taskId: task.id,
          target,
          expectedState: state,
          expectedVersion: task.version,
          by: "t",
        });
        if (legal) {
          expect((await moved).state).toBe(stateAfterMove(target));
        } else {
          await expect(moved).rejects.toMatchObject({ code: "INVALID_STATE" } satisfies Partial<CoreError>);
          expect(await getTask(town, task.id)).toEqual(task);
        }
      });
    }
  }

  test("a card is not dropped on the agent it is already assigned to", () => {
    expect(canMove("assigned", "ada", { kind: "agent", agent: "ada" })).toBe(false);
    expect(canMove("assigned", "ada", { kind: "agent", agent: "bob" })).toBe(true);
  });

  test("no drop on an agent that takes no work (stopped, error, draining), as the server refuses", () => {
    for (const state of AGENT_STATES) {
      expect(canMove("pending", null, { kind: "agent", agent: "bob" }, state)).toBe(agentTakesWork(state));
    }
    expect(AGENT_STATES.filter((s) => !agentTakesWork(s))).toEqual(["draining", "stopped", "error"]);
  });
});
