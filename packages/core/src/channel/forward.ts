/**
 * Forwarding a removed agent's unread messages (its inbox and any held by a run) to another mailbox, so that
 * removing an agent never deletes a message nobody read. Each message keeps its score (so its priority and send
 * order among the target's messages) and is marked `data.forwardedFrom` with the agent it was meant for.
 */
import type { Redis } from "ioredis";
import type { Message } from "../message/message";
import { SUPERVISOR } from "../redis/keys";
import type { Town } from "../town/town";

/** KEYS: target inbox, then the source sets. ARGV: triples (source key index, old member, new member, score). */
const MOVE = `
local moved = 0
for i = 1, #ARGV, 4 do
  if redis.call('ZREM', KEYS[tonumber(ARGV[i])], ARGV[i + 1]) == 1 then
    redis.call('ZADD', KEYS[1], ARGV[i + 3], ARGV[i + 2])
    moved = moved + 1
  end
end
return moved
`;

type ForwardRedis = Redis & { ttForward(numKeys: number, ...args: string[]): Promise<number> };

function withScript(redis: Redis): ForwardRedis {
  const r = redis as ForwardRedis;
  if (typeof r.ttForward !== "function") redis.defineCommand("ttForward", { lua: MOVE });
  return r;
}

/**
 * Moves every message of an agent's inbox and in-flight set to mailbox `to` (default: supervisor); returns how
 * many. A message taken by someone else meanwhile is skipped, never duplicated.
 */
export async function forwardMessages(
  town: Town,
  input: { agentId: string; name: string; to?: string },
): Promise<number> {
  const k = town.keys;
  const sources = [k.inbox(input.agentId), k.inflight(input.agentId)];
  let total = 0;
  // A message sent while moving lands in the inbox after the read: go round until both sets are empty.
  for (let round = 0; round < 100; round++) {
    const args: string[] = [];
    for (const [i, key] of sources.entries()) {
      const flat = await town.redis.zrange(key, 0, "-1", "WITHSCORES");
      for (let j = 0; j + 1 < flat.length; j += 2) {
        const raw = flat[j]!;
        args.push(String(i + 2), raw, mark(raw, input), flat[j + 1]!);
      }
    }
    if (args.length === 0) break;
    total += await withScript(town.redis).ttForward(
      sources.length + 1,
      k.inbox(input.to ?? SUPERVISOR),
      ...sources,
      ...args,
    );
  }
  await town.redis.del(k.inflightRun(input.agentId));
  return total;
}

function mark(raw: string, from: { agentId: string; name: string }): string {
  try {
    const m = JSON.parse(raw) as Message;
    return JSON.stringify({ ...m, data: { ...m.data, forwardedFrom: { agentId: from.agentId, name: from.name } } });
  } catch {
    return raw;
  }
}
