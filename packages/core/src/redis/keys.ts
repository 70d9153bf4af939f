/**
 * The only module that writes Redis key strings. Every key of a town starts with `tt:<town>:`.
 * With `hashTag` (Redis Cluster) the town name is wrapped in `{}` so that all keys of a town share one slot.
 * It knows no domain type (states are plain strings here): the storage layer sits below the types it stores.
 */
export interface KeyOptions {
  hashTag?: boolean;
}

export function townKeys(town: string, opts: KeyOptions = {}) {
  const p = opts.hashTag ? `tt:{${town}}:` : `tt:${town}:`;
  return {
    prefix: p,
    /** BullMQ queue prefix: queues live under `tt:<town>:bull:<queue>:…`. */
    bullPrefix: `${p}bull`,
    /** Town metadata hash (name, createdAt). */
    meta: `${p}meta`,

    agent: (id: string) => `${p}agent:${id}`,
    /** zset agentId → createdAt (listing in spawn order). */
    agents: `${p}agents`,
    agentsByState: (state: string) => `${p}agents:state:${state}`,
    /** hash lower(name) → agentId: case-insensitive uniqueness. */
    agentNames: `${p}agents:names`,
    /** zset of agent ids, all score 0, for lexicographic prefix lookup. */
    agentIds: `${p}agents:ids`,

    task: (id: string) => `${p}task:${id}`,
    /** zset taskId → createdAt. */
    tasks: `${p}tasks`,
    tasksByState: (state: string) => `${p}tasks:state:${state}`,
    /** zset taskId → createdAt, tasks currently assigned to (or run by) an agent. */
    tasksByAgent: (agentId: string) => `${p}tasks:agent:${agentId}`,
    /** zset of task ids, all score 0, for lexicographic prefix lookup. */
    taskIds: `${p}tasks:ids`,
    /** zset taskId → updatedAt, completed tasks whose changes wait for review (the board's Review column). */
    tasksInReview: `${p}tasks:review`,
    /** zset of pending tasks, score orders by priority then age. */
    backlog: `${p}backlog`,
    /** capped list of one task's events (its history, kept after the town stream moves on). */
    taskHistory: (taskId: string) => `${p}history:${taskId}`,
    /** capped stream of one task's output lines. */
    taskLog: (taskId: string) => `${p}log:${taskId}`,
    /** hash of a task's captured changes: `files` (JSON), `diff` (capped unified diff), `comments` (JSON). */
    taskChanges: (taskId: string) => `${p}changes:${taskId}`,

    /** capped stream of one task's activity events (the normalised agent session: text, tool calls, usage…). */
    activity: (taskId: string) => `${p}activity:${taskId}`,
    /**
     * Usage sums (hashes: input, output, cacheRead, cacheWrite, unpriced tokens, costMicros) per run (with `seq`,
     * the last event applied), task, agent, agent-day, town, town-day and model-day; `usageModels` lists a day's
     * models. Days are `YYYY-MM-DD` in the town's budget time zone.
     */
    usageRun: (runId: string) => `${p}usage:run:${runId}`,
    usageTask: (taskId: string) => `${p}usage:task:${taskId}`,
    usageAgent: (agentId: string) => `${p}usage:agent:${agentId}`,
    usageAgentDay: (agentId: string, day: string) => `${p}usage:agent-day:${day}:${agentId}`,
    usageTown: `${p}usage:town`,
    usageTownDay: (day: string) => `${p}usage:day:${day}`,
    usageModelDay: (day: string, model: string) => `${p}usage:model-day:${day}:${model}`,
    /** set of the models with usage on a day. */
    usageModels: (day: string) => `${p}usage:models:${day}`,
    /** hash of budget overrides set by operators: `task:<id>`, `agent:<id>`, `town` → USD. */
    budgets: `${p}budgets`,
    /** hash of a task's CLI session (sessionId, model, protocol, cumulative tokens): a later run resumes it. */
    taskSession: (taskId: string) => `${p}task-session:${taskId}`,
    /** hash of provider rate limits: `agent:<id>` and `lane:<model>:<lane>` → epoch ms until which they are limited. */
    rateLimits: `${p}rate-limits`,

    /** zset inbox of an agent (or the supervisor mailbox): score orders by priority, then send order. */
    inbox: (mailboxId: string) => `${p}inbox:${mailboxId}`,
    /** counter that gives every message its send order. */
    inboxSeq: `${p}inbox:seq`,
    /**
     * zset of the messages an agent's running task has in its prompt: taken out of the inbox with their scores,
     * deleted when the run ends normally, given back to the inbox when it is cut.
     */
    inflight: (agentId: string) => `${p}inflight:${agentId}`,
    /** string `<taskId>:<attempt>`: the run that holds `inflight(agentId)`. */
    inflightRun: (agentId: string) => `${p}inflight-run:${agentId}`,
    /** zset of the `task_done` reports in the supervisor mailbox (same members and scores), for its cap. */
    supervisorReports: `${p}supervisor:reports`,
    /** counter of `task_done` reports dropped from the supervisor mailbox by the cap. */
    supervisorDropped: `${p}supervisor:dropped`,

    /** hash of one "Needs you" item: a question, or the claim/answer record of a failed task, conflict, budget stop. */
    need: (id: string) => `${p}need:${id}`,
    /** zset of the open questions from agents, needId → createdAt. */
    needsOpen: `${p}needs:open`,
    /** list holding the answer to a question whose agent blocks for it (`block` ask mode), with a TTL. */
    needAnswer: (id: string) => `${p}need-answer:${id}`,
    /** string: the id of the latest inbox round (a task) created to wake an agent on a message. */
    wake: (agentId: string) => `${p}wake:${agentId}`,
    /** capped list of webhook deliveries (JSON: event, attempt, status, error; never the secret). */
    webhookLog: `${p}webhook:log`,

    /** capped stream of every state change in the town. */
    events: `${p}events`,

    /** hash runnerId → JSON (host, pid, models, startedAt); heartbeats in `runnerAlive`. */
    runners: `${p}runners`,
    /** zset runnerId → last heartbeat ms. */
    runnerAlive: `${p}runners:alive`,
    /** hash of one agent's run record (field `run`: the runner, host and pid running its task; runners/runs.ts). */
    agentControl: (agentId: string) => `${p}control:${agentId}`,

    /** hash user name → JSON (name, role, passwordHash, createdAt). */
    users: `${p}users`,
    /** hash sha256(token) → JSON (id, name, role, createdBy, createdAt); the plaintext is never stored. */
    tokens: `${p}tokens`,
    /** one sign-in session (string JSON with a TTL), keyed by sha256 of the cookie value. */
    session: (sessionHash: string) => `${p}session:${sessionHash}`,
    /** set of a user's session hashes, for sign-out everywhere. */
    userSessions: (user: string) => `${p}sessions:user:${user}`,
    /**
     * failed sign-ins for one user name (hash with PEXPIRE): `f` from all clients together, and per client
     * `c:<client>` = "<failures>:<last ms>". One key, so `tt user unlock` clears it with one DEL.
     */
    loginUser: (user: string) => `${p}login:user:${user}`,
    /** failed sign-ins from one client across all user names (hash `f`, `last`, with PEXPIRE). */
    loginClient: (client: string) => `${p}login:client:${client}`,
  };
}

export type TownKeys = ReturnType<typeof townKeys>;

/** The well-known human mailbox. */
export const SUPERVISOR = "supervisor";
