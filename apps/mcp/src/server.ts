/**
 * The Town's operations as MCP tools. Each tool is a thin adapter, like a tRPC procedure: the SDK validates the
 * arguments against a zod schema built from core's; the handler resolves the caller, checks its role with core
 * (`assertCan` → `can(role, action)`, and for messages the type's own rule) BEFORE anything is read or written, calls core with `by` = the caller, and
 * returns the result as JSON (text content + structuredContent). Failures go through `toolError` (errors.ts).
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

import {
  actorOf,
  AgentRef,
  AgentState,
  assertCan,
  assertCanSend,
  AuditQuery,
  auditLog,
  closeAgent,
  createTask,
  CreateTaskInput,
  interruptAgent,
  listAgents,
  listTasks,
  ListTasksInput,
  moveTask,
  MailboxRef,
  peekMailbox,
  restartAgent,
  resumeAgent,
  sendMessage,
  SendMessageInput,
  spawnAgent,
  StreamId,
  SpawnAgentInput,
  stopAgent,
  TASK_LOG_MAX_LEN,
  taskDetail,
  taskLogPage,
  TaskRef,
  TaskState,
  townStatus,
  Version,
  type Action,
  type Principal,
  type Town,
} from "@tinytown/core";

import { toolError } from "./errors";

/** A fixed principal, or a function resolving it per call (so a revoked token stops working at once). */
export type PrincipalSource = Principal | (() => Promise<Principal>);

export const SERVER_NAME = "tinytown";
export const SERVER_VERSION = "0.1.0";

export const AGENT_ACTIONS = ["kill", "interrupt", "resume", "close", "restart"] as const;
export const MOVE_TARGETS = ["agent", "backlog", "cancelled"] as const;

/**
 * Input schemas: core's own where core has one (CreateTaskInput, SpawnAgentInput, SendMessageInput, ListTasksInput),
 * strict so that a misspelt field is an error rather than silently ignored, and never with `by` (the server sets it).
 */
export const ToolInputs = {
  town_status: z.strictObject({}),
  list_agents: z.strictObject({ state: AgentState.optional().describe("only agents in this state") }),
  spawn_agent: z.strictObject(SpawnAgentInput.pick({ name: true, model: true }).shape),
  agent_action: z.strictObject({
    agent: AgentRef,
    action: z.enum(AGENT_ACTIONS),
    tasks: z
      .enum(["requeue", "cancel"])
      .optional()
      .describe("kill only: what happens to the agent's unfinished tasks (default requeue: back to the backlog)"),
    now: z
      .boolean()
      .optional()
      .describe("interrupt only: also stop the current run now (its task goes back to the front of the agent's queue)"),
  }),
  list_tasks: z.strictObject(ListTasksInput.shape),
  get_task: z.strictObject({ taskId: TaskRef }),
  create_task: z.strictObject(CreateTaskInput.omit({ by: true }).shape),
  move_task: z
    .strictObject({
      taskId: TaskRef,
      to: z
        .enum(MOVE_TARGETS)
        .describe(
          "agent: assign (or reassign) to `agent`; backlog: unassign an assigned task, or retry a failed/cancelled one; cancelled: cancel",
        ),
      agent: AgentRef.optional().describe("the agent to assign to (with to = agent)"),
      expectedState: TaskState.describe("the task's state as you last saw it (get_task)"),
      expectedVersion: Version.describe(
        "the task's version as you last saw it; a stale move changes nothing and fails with CONFLICT",
      ),
    })
    .refine((i) => (i.to === "agent") === (i.agent !== undefined), {
      message: "give `agent` exactly when `to` is agent",
      path: ["agent"],
    }),
  // No `from`: the sender is always the caller (a user, token:<name>, or the open-access name).
  send_message: z.strictObject(
    SendMessageInput.pick({ to: true, body: true, type: true, priority: true, correlationId: true }).shape,
  ),
  read_inbox: z.strictObject({
    mailbox: MailboxRef.describe('an agent\'s name or id, or "supervisor"'),
    limit: z.number().int().positive().max(1000).default(50),
  }),
  task_log: z.strictObject({
    taskId: TaskRef,
    after: StreamId.optional().describe("only lines after this line id (to follow); default: the latest lines"),
    limit: z.number().int().positive().max(TASK_LOG_MAX_LEN).default(200),
  }),
  list_events: z.strictObject({
    by: AuditQuery.shape.by.describe(
      'only what this actor did: a user name, "token:<name>", an agent name, "runner:<id>"',
    ),
    type: AuditQuery.shape.type.describe('only events whose type starts with this, e.g. "task." or "agent.spawned"'),
    before: AuditQuery.shape.before.describe("the `next` of the previous page"),
    limit: AuditQuery.shape.limit.unwrap().default(50),
  }),
} satisfies Record<string, z.ZodType>;

export type ToolName = keyof typeof ToolInputs;

interface ToolDef<N extends ToolName> {
  title: string;
  description: string;
  /** The permission (core roles.ts) the caller needs. */
  action: Action;
  /** A further check that depends on the input (e.g. the message type); throws FORBIDDEN. */
  authorize?: (caller: Principal, input: z.output<(typeof ToolInputs)[N]>) => void;
  annotations?: ToolAnnotations;
  /** Calls core; `by` is who changes are attributed to. Returns a JSON object. */
  run: (town: Town, input: z.output<(typeof ToolInputs)[N]>, by: string) => Promise<object>;
}

const READ: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };
const WRITE: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, openWorldHint: false };

/** How each agent action is carried out: one core function each. */
const agentActions = {
  kill: (town, i, by) => stopAgent(town, i.agent, { tasks: i.tasks, by }),
  interrupt: async (town, i, by) => ({ agent: await interruptAgent(town, i.agent, by, { now: i.now }) }),
  resume: async (town, i, by) => ({ agent: await resumeAgent(town, i.agent, by) }),
  close: async (town, i, by) => ({ agent: await closeAgent(town, i.agent, by) }),
  restart: async (town, i, by) => ({ agent: await restartAgent(town, i.agent, by) }),
} satisfies Record<(typeof AGENT_ACTIONS)[number], ToolDef<"agent_action">["run"]>;

/** Every tool, in the order clients list them. */
export const TOOLS: { [N in ToolName]: ToolDef<N> } = {
  town_status: {
    title: "Town status",
    description:
      "The town at a glance: agents and tasks by state, backlog size, supervisor inbox, runners (alive or not), Redis.",
    action: "read",
    annotations: READ,
    run: (town) => townStatus(town),
  },
  list_agents: {
    title: "List agents",
    description: "The town's agents (name, model, state, current task, counters), oldest first.",
    action: "read",
    annotations: READ,
    run: async (town, i) => ({ agents: await listAgents(town, { state: i.state }) }),
  },
  spawn_agent: {
    title: "Spawn an agent",
    description:
      "Creates an agent that runs `model` (claude, codex, auggie, aider, gemini, copilot, cursor, sim, or a model of the town config); a runner picks it up. Needs the admin role.",
    action: "agent.manage",
    annotations: WRITE,
    run: (town, i, by) => spawnAgent(town, { ...i, by }),
  },
  agent_action: {
    title: "Control an agent",
    description:
      "kill: stop now (unfinished tasks back to the backlog, or cancelled with tasks = cancel); interrupt: pause, taking no new work (with now = true the current run stops and its task is requeued); resume: undo interrupt; close: finish the current task, then stop; restart: a stopped or failed agent starts again. Needs the admin role.",
    action: "agent.manage",
    annotations: { ...WRITE, destructiveHint: true },
    run: (town, i, by) => agentActions[i.action](town, i, by),
  },
  list_tasks: {
    title: "List tasks",
    description:
      "A page of tasks, newest first, optionally only one state or one agent's; `total` counts all that match.",
    action: "read",
    annotations: READ,
    run: (town, i) => listTasks(town, i),
  },
  get_task: {
    title: "Get a task",
    description:
      "One task (state, version, agent, result or error, attempts) with its history of changes and who made each, oldest first, and the name of its agent.",
    action: "read",
    annotations: READ,
    run: (town, i) => taskDetail(town, i.taskId),
  },
  create_task: {
    title: "Create a task",
    description:
      "Adds a task to the backlog, or assigns it at once to `assignTo` (an agent's name or id). Needs the operator role.",
    action: "task.write",
    annotations: WRITE,
    run: (town, i, by) => createTask(town, { ...i, by }),
  },
  move_task: {
    title: "Move a task",
    description:
      "Moves a task like a card on the board: onto an agent (assign/reassign), back to the backlog (unassign, or retry a failed/cancelled task), or to cancelled. Give the state and version you saw (get_task): if the task changed since, nothing happens and the error says its current state. Needs the operator role.",
    action: "task.write",
    annotations: WRITE,
    run: (town, i, by) =>
      moveTask(town, {
        taskId: i.taskId,
        target: i.to === "agent" ? { kind: "agent", agent: i.agent! } : { kind: i.to },
        expectedState: i.expectedState,
        expectedVersion: i.expectedVersion,
        by,
      }),
  },
  send_message: {
    title: "Send a message",
    description:
      "Sends a message to an agent's inbox (or to supervisor), strictly by priority, from you; an urgent message interrupts a working agent's current run. Needs the operator role; a shutdown message needs the admin role.",
    action: "message.send",
    authorize: (caller, i) => assertCanSend(caller, i.type),
    annotations: WRITE,
    run: (town, i, by) => sendMessage(town, { ...i, from: by, data: { by } }),
  },
  read_inbox: {
    title: "Read an inbox",
    description:
      "The next messages of a mailbox (an agent, or supervisor: what agents report to humans), in the order they will be read, without taking them.",
    action: "read",
    annotations: READ,
    run: async (town, i) => {
      const { mailbox, messages } = await peekMailbox(town, i.mailbox, i.limit);
      return { mailbox: mailbox.name, messages };
    },
  },
  task_log: {
    title: "Task output",
    description:
      "A task's output lines (stdout, stderr, and the runner's own lines), oldest first: the latest `limit`, or those after `after`; `truncated` says the log holds lines this page left out.",
    action: "read",
    annotations: READ,
    run: (town, i) => taskLogPage(town, { taskId: i.taskId, after: i.after, limit: i.limit }),
  },
  list_events: {
    title: "Town events (audit)",
    description:
      "Every change in the town, newest first, with who did it (`by`): optionally only one actor's or one type's. Page on with `before` = the returned `next`.",
    action: "read",
    annotations: READ,
    run: (town, i) => auditLog(town, i),
  },
};

/**
 * An MCP server over `town` for one caller. Every tool call re-resolves the caller when `principal` is a function,
 * and refuses with FORBIDDEN before touching the town when the caller's role may not do the tool's action.
 */
export function createTownMcpServer(town: Town, principal: PrincipalSource): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION },
    {
      instructions:
        "Tinytown orchestrates AI coding agents. Create tasks (create_task), put them on agents (move_task with the state and version from get_task), watch them (get_task, task_log, list_events) and talk to agents (send_message, read_inbox supervisor). Your role decides what you may change.",
    },
  );
  const who = typeof principal === "function" ? principal : () => Promise.resolve(principal);
  for (const name of Object.keys(TOOLS) as ToolName[]) register(server, town, who, name);
  return server;
}

function register<N extends ToolName>(server: McpServer, town: Town, who: () => Promise<Principal>, name: N): void {
  const def = TOOLS[name] as ToolDef<N>;
  const inputSchema = ToolInputs[name] as z.ZodType;
  server.registerTool(
    name,
    { title: def.title, description: def.description, inputSchema, annotations: def.annotations },
    async (args: unknown): Promise<CallToolResult> => {
      try {
        const caller = await who();
        const input = args as z.output<(typeof ToolInputs)[N]>;
        assertCan(caller, def.action);
        def.authorize?.(caller, input);
        const result = await def.run(town, input, actorOf(caller));
        return {
          content: [{ type: "text", text: JSON.stringify(result) }],
          structuredContent: result as Record<string, unknown>,
        };
      } catch (err) {
        return toolError(err);
      }
    },
  );
}
