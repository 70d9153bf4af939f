/**
 * The Channel: per-mailbox priority inboxes on one sorted set each (`tt:<town>:inbox:<id>`).
 * Score = priority rank × 1e15 + a town-wide send counter, so the lowest score is the most urgent,
 * oldest message: strictly by priority, first-in-first-out within one priority. BZPOPMIN gives a
 * blocking receive without polling.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { findAgent, listAgents } from "../agent/agent.service";
import { RESERVED_NAMES } from "../agent/agent";
import { CoreError, validationError } from "../errors";
import { SUPERVISOR } from "../redis/keys";
import { priorityRank } from "../task/task";
import type { Town } from "../town/town";
import { type Message, SendMessageInput } from "../message/message";

/**
 * KEYS: inbox, seq, events, agent names. ARGV: rank, message, event, maxLen, lower(name), id. With a name, the
 * mailbox is checked inside the script: the name must still belong to the id whose inbox is KEYS[1], else nothing is
 * written and the script returns {'MOVED', <the name's id now, or ''>}.
 */
const SEND = `
if ARGV[5] ~= '' then
  local id = redis.call('HGET', KEYS[4], ARGV[5])
  if id ~= ARGV[6] then return {'MOVED', id or ''} end
end
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) * 1e15 + seq, ARGV[2])
if ARGV[3] ~= '' then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'type', 'message.sent', 'data', ARGV[3])
end
return seq
`;

/**
 * A `task_done` report to the supervisor mailbox: as SEND, and also indexed in KEYS[4]; past ARGV[5] reports the
 * oldest ones leave the mailbox (one already read is skipped) and are counted in KEYS[5]. Only `task_done` is
 * capped: questions, failures and every other message stay until someone reads them.
 */
const SEND_REPORT = `
local seq = redis.call('INCR', KEYS[2])
local score = tonumber(ARGV[1]) * 1e15 + seq
redis.call('ZADD', KEYS[1], score, ARGV[2])
redis.call('ZADD', KEYS[4], score, ARGV[2])
if ARGV[3] ~= '' then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'type', 'message.sent', 'data', ARGV[3])
end
local over = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[5])
if over > 0 then
  local old = redis.call('ZPOPMIN', KEYS[4], over)
  local dropped = 0
  for i = 1, #old, 2 do dropped = dropped + redis.call('ZREM', KEYS[1], old[i]) end
  if dropped > 0 then redis.call('INCRBY', KEYS[5], dropped) end
end
return seq
`;

type ChannelRedis = Redis & {
  ttSend(
    k1: string,
    k2: string,
    k3: string,
    k4: string,
    rank: number,
    msg: string,
    ev: string,
    maxLen: number,
    name: string,
    id: string,
  ): Promise<number | [string, string]>;
  ttSendReport(
    k1: string,
    k2: string,
    k3: string,
    k4: string,
    k5: string,
    rank: number,
    msg: string,
    ev: string,
    maxLen: number,
    keep: number,
  ): Promise<number>;
};

function withSend(redis: Redis): ChannelRedis {
  const r = redis as ChannelRedis;
  if (typeof r.ttSend !== "function") {
    redis.defineCommand("ttSend", { numberOfKeys: 4, lua: SEND });
    redis.defineCommand("ttSendReport", { numberOfKeys: 5, lua: SEND_REPORT });
  }
  return r;
}

export interface Mailbox {
  /** The id in `tt:<town>:inbox:<id>`: an agent id, or "supervisor". */
  id: string;
  /** Display name: the agent's name, or "supervisor". */
  name: string;
}

/** A mailbox found by an agent's name: the send script checks the name still belongs to `id`. */
interface NamedMailbox extends Mailbox {
  byName: true;
}

/**
 * Names this process has resolved, per town: a send to a known name is one script call that checks the name (the
 * Channel's hot path); a name that moved (agent pruned and its name reused) is resolved again.
 */
const knownNames = new WeakMap<Town, Map<string, string>>();

const isSupervisorRef = (lower: string) =>
  (RESERVED_NAMES as readonly string[]).includes(lower) || lower === SUPERVISOR;

/** Resolves an agent reference, or `supervisor`/`conductor`, to a mailbox. */
export async function resolveMailbox(town: Town, ref: string): Promise<Mailbox> {
  const lower = ref.trim().toLowerCase();
  if (isSupervisorRef(lower)) return { id: SUPERVISOR, name: SUPERVISOR };
  // By name, one HGET is enough; ids and id prefixes go through findAgent.
  const byName = await town.redis.hget(town.keys.agentNames, lower);
  if (byName) {
    remember(town, lower, byName);
    return { id: byName, name: lower };
  }
  const agent = await findAgent(town, ref);
  if (!agent)
    throw new CoreError("NOT_FOUND", `no agent "${ref}" in town ${town.name}: \`tt list\` shows the agents`, { ref });
  return { id: agent.id, name: agent.name };
}

function decode(raw: string): Message {
  return JSON.parse(raw) as Message;
}

export interface SendOptions {
  /** Append a `message.sent` event (default true); benchmarks of the raw channel may turn it off. */
  event?: boolean;
}

/** Sends a message to one mailbox; returns it with its id. */
export async function sendMessage(town: Town, raw: SendMessageInput, opts: SendOptions = {}): Promise<Message> {
  const r = SendMessageInput.safeParse(raw);
  if (!r.success) throw validationError("message", r.error.issues);
  const input = r.data;
  const lower = input.to.trim().toLowerCase();
  for (let i = 0; i < 3; i++) {
    const known = knownNames.get(town)?.get(lower);
    const to: Mailbox | NamedMailbox = known
      ? { id: known, name: lower, byName: true }
      : await resolveMailbox(town, input.to);
    const sent = await deliver(town, to, input, opts);
    if (sent) return sent;
    knownNames.get(town)?.delete(lower);
  }
  throw new CoreError("CONFLICT", `the mailbox of "${input.to}" keeps changing; try again`, { ref: input.to });
}

function remember(town: Town, lower: string, id: string): void {
  let names = knownNames.get(town);
  if (!names) knownNames.set(town, (names = new Map<string, string>()));
  // Bounded: a process that sends to very many names keeps resolving the rest each time.
  if (names.size < 10_000) names.set(lower, id);
}

/** Null when `to` was found by a name that no longer belongs to its id (nothing was written). */
async function deliver(
  town: Town,
  to: Mailbox | NamedMailbox,
  input: SendMessageInput & { from: string },
  opts: SendOptions,
): Promise<Message | null> {
  const msg: Message = {
    id: randomUUID(),
    from: input.from,
    to: to.id,
    type: input.type ?? "info",
    priority: input.priority ?? "normal",
    createdAt: Date.now(),
    correlationId: input.correlationId ?? null,
    body: input.body,
    data: input.data ?? null,
  };
  const event =
    opts.event === false
      ? ""
      : JSON.stringify({
          at: msg.createdAt,
          by: msg.from,
          messageId: msg.id,
          agentId: to.id === SUPERVISOR ? null : to.id,
          toName: to.name,
          from: msg.from,
          msgType: msg.type,
          priority: msg.priority,
          preview: msg.body.slice(0, 120),
        });
  const k = town.keys;
  if (to.id === SUPERVISOR && msg.type === "task_done") {
    await withSend(town.redis).ttSendReport(
      k.inbox(to.id),
      k.inboxSeq,
      k.events,
      k.supervisorReports,
      k.supervisorDropped,
      priorityRank(msg.priority),
      JSON.stringify(msg),
      event,
      town.config.events.maxLen,
      town.config.supervisor.keepTaskDone,
    );
    return msg;
  }
  const named = "byName" in to;
  const reply = await withSend(town.redis).ttSend(
    k.inbox(to.id),
    k.inboxSeq,
    k.events,
    k.agentNames,
    priorityRank(msg.priority),
    JSON.stringify(msg),
    event,
    town.config.events.maxLen,
    named ? to.name : "",
    named ? to.id : "",
  );
  return Array.isArray(reply) ? null : msg;
}

/** Sends the same message to every agent that is not stopped; returns one message per recipient. */
export async function broadcast(town: Town, raw: Omit<SendMessageInput, "to">): Promise<Message[]> {
  const r = SendMessageInput.safeParse({ ...raw, to: SUPERVISOR });
  if (!r.success) throw validationError("message", r.error.issues);
  const agents = (await listAgents(town)).filter((a) => a.state !== "stopped");
  return Promise.all(agents.map(async (a) => (await deliver(town, { id: a.id, name: a.name }, r.data, {}))!));
}

/** Takes the next message without waiting; null when the inbox is empty. */
export async function tryReceive(town: Town, mailboxId: string): Promise<Message | null> {
  const [raw] = await town.redis.zpopmin(town.keys.inbox(mailboxId));
  return raw ? decode(raw) : null;
}

/** Takes up to `max` messages in order without waiting. */
export async function drain(town: Town, mailboxId: string, max = 100): Promise<Message[]> {
  const flat = await town.redis.zpopmin(town.keys.inbox(mailboxId), max);
  const out: Message[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push(decode(flat[i]!));
  return out;
}

/**
 * Waits up to `timeoutMs` for the next message (0 = wait forever). Issues BZPOPMIN in slices of at most
 * 5 s on the town's blocking connection, so after a Redis restart the wait is re-issued instead of hanging.
 * A given `connection` must be `readsOnly` (see createRedis), or a restart can lose a message.
 */
export async function receive(
  town: Town,
  mailboxId: string,
  timeoutMs: number,
  opts: { signal?: AbortSignal; connection?: Redis } = {},
): Promise<Message | null> {
  const conn = opts.connection ?? town.blocking();
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
  const key = town.keys.inbox(mailboxId);
  while (!opts.signal?.aborted) {
    const left = deadline - Date.now();
    if (left <= 0) return null;
    // Never queue a BZPOPMIN while disconnected: the client-side guard would give up on it before the server
    // does, and the message it then pops would be lost. Wait for the connection instead.
    const status = conn.status;
    if (status !== "ready") {
      if (status === "end") throw new CoreError("REDIS_UNAVAILABLE", "the connection used by receive is closed");
      await readyOrAfter(conn, Math.min(left, 1_000));
      continue;
    }
    const slice = Math.max(0.01, Math.min(left, 5_000) / 1000);
    let reply: [string, string, string] | null;
    try {
      reply = await conn.bzpopmin(key, slice);
    } catch (err) {
      if (opts.signal?.aborted || conn.status === "end") throw err;
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    if (reply) return decode(reply[1]);
  }
  return null;
}

/** Resolves when `conn` is ready, or after `ms`. */
function readyOrAfter(conn: Redis, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      conn.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    conn.once("ready", done);
  });
}

/** The next `count` messages in the order they will be received, without taking them. */
export async function peek(town: Town, mailboxId: string, count = 50): Promise<Message[]> {
  const raws = await town.redis.zrange(town.keys.inbox(mailboxId), 0, String(Math.max(0, count - 1)));
  return raws.map(decode);
}

export async function inboxLength(town: Town, mailboxId: string): Promise<number> {
  return town.redis.zcard(town.keys.inbox(mailboxId));
}
