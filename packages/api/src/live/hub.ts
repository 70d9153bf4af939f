/**
 * Live streams of a town for subscriptions: ONE XREAD BLOCK loop per process on the town's event stream, and ONE
 * over the logs of every task someone is watching (see {@link TaskLogMux}), each on its own blocking connection
 * and fanned out to every subscriber (see {@link Fanout}); and the {@link StreamGuard} that keeps them authorised.
 */
import {
  createRedis,
  followActivity,
  followEvents,
  lastEventId,
  readActivity,
  readEvents,
  readTaskLog,
  type ActivityEntry,
  type TaskLogEntry,
  type Town,
  type TownEvent,
} from "@tinytown/core";

import { encodeOnce } from "./encode-once";
import { Fanout, type FanoutOptions } from "./fanout";
import { REVALIDATE_MS, StreamGuard } from "./guard";
import { TaskLogMux } from "./log-mux";
import { RedisHealth } from "./redis-health";

type BlockingRedis = ReturnType<typeof createRedis>;

const EVENT_OPTIONS: FanoutOptions = { maxBuffer: 5_000, replayPage: 1_000, lingerMs: 10_000 };
const LOG_OPTIONS: FanoutOptions = { maxBuffer: 5_000, replayPage: 1_000, lingerMs: 2_000 };

interface TownHubs {
  events: Fanout<TownEvent>;
  logs: Map<string, Fanout<TaskLogEntry>>;
  activity: Map<string, Fanout<ActivityEntry>>;
  mux: TaskLogMux;
  guard: StreamGuard;
  health: RedisHealth;
}

// On globalThis: Next gives each route bundle its own copy of this module, but a town needs one loop per process.
const KEY = Symbol.for("tinytown.api.live");
type LiveGlobal = typeof globalThis & { [KEY]?: WeakMap<Town, TownHubs> };

function hubsOf(town: Town): TownHubs {
  const g = globalThis as LiveGlobal;
  const all = (g[KEY] ??= new WeakMap());
  let hubs = all.get(town);
  if (!hubs) {
    const events = eventFanout(town);
    const guard = new StreamGuard(town, events, {
      maxPerClient: town.config.web.maxStreamsPerClient,
      revalidateMs: REVALIDATE_MS,
    });
    const health = new RedisHealth(town);
    all.set(town, (hubs = { events, logs: new Map(), activity: new Map(), mux: new TaskLogMux(town), guard, health }));
  }
  return hubs;
}

/** The guard every live subscription of the town registers with (revocation, per-client cap). */
export function streamGuard(town: Town): StreamGuard {
  return hubsOf(town).guard;
}

/** Whether the town's Redis answers: live streams end when it is lost, so no client looks live while nothing can change. */
export function redisHealth(town: Town): RedisHealth {
  return hubsOf(town).health;
}

/** The town's shared task-log follower (tests measure its connections). */
export function taskLogMux(town: Town): TaskLogMux {
  return hubsOf(town).mux;
}

/** The town's event stream, shared by every subscriber in this process. */
export function eventHub(town: Town): Fanout<TownEvent> {
  return hubsOf(town).events;
}

/** A task's output stream (by full task id), shared by everyone watching it; forgotten when nobody is. */
export function taskLogHub(town: Town, taskId: string): Fanout<TaskLogEntry> {
  const hubs = hubsOf(town);
  let hub = hubs.logs.get(taskId);
  if (!hub) {
    const created: Fanout<TaskLogEntry> = new Fanout(taskLogSource(town, hubs.mux, taskId), LOG_OPTIONS, () => {
      if (hubs.logs.get(taskId) === created) hubs.logs.delete(taskId);
    });
    hubs.logs.set(taskId, (hub = created));
  }
  return hub;
}

/**
 * A task's activity stream (by full task id), shared by everyone watching it; forgotten when nobody is. Its one
 * follower holds a blocking connection while someone watches (timelines are opened one task at a time, unlike the
 * board's many running cards whose logs share {@link TaskLogMux}).
 */
export function taskActivityHub(town: Town, taskId: string): Fanout<ActivityEntry> {
  const hubs = hubsOf(town);
  let hub = hubs.activity.get(taskId);
  if (!hub) {
    const created: Fanout<ActivityEntry> = new Fanout(activitySource(town, taskId), LOG_OPTIONS, () => {
      if (hubs.activity.get(taskId) === created) hubs.activity.delete(taskId);
    });
    hubs.activity.set(taskId, (hub = created));
  }
  return hub;
}

/** Stops every live loop of the town and ends their subscribers (tests, shutdown). */
export function closeLiveHubs(town: Town): void {
  const g = globalThis as LiveGlobal;
  const hubs = g[KEY]?.get(town);
  if (!hubs) return;
  g[KEY]?.delete(town);
  hubs.guard.close();
  hubs.events.close();
  for (const hub of hubs.logs.values()) hub.close();
  for (const hub of hubs.activity.values()) hub.close();
  hubs.mux.close();
}

function eventFanout(town: Town): Fanout<TownEvent> {
  return new Fanout<TownEvent>(
    {
      what: "town events",
      endIsNormal: false,
      head: () => lastEventId(town),
      read: (after, count) => readEvents(town, { after, count }),
      follow: (after, signal) =>
        withConnection(town, "events", signal, (connection) =>
          shareEach(followEvents(town, { after, signal, connection })),
        ),
    },
    EVENT_OPTIONS,
  );
}

/** Live events go to every subscriber as the same object: encoded once for all of them. */
async function* shareEach<T extends object>(items: AsyncIterable<T>): AsyncGenerator<T> {
  for await (const item of items) yield encodeOnce(item);
}

function taskLogSource(town: Town, mux: TaskLogMux, taskId: string) {
  return {
    what: "task log",
    endIsNormal: true,
    head: async () => (await readTaskLog(town, taskId, { count: 1 }))[0]?.id ?? "0-0",
    read: (after: string, count: number) => readTaskLog(town, taskId, { after, count }),
    follow: (after: string, signal: AbortSignal) => mux.follow(taskId, after, signal),
  };
}

function activitySource(town: Town, taskId: string) {
  return {
    what: "task activity",
    endIsNormal: true,
    head: async () => (await readActivity(town, taskId, { count: 1 }))[0]?.id ?? "0-0",
    read: (after: string, count: number) => readActivity(town, taskId, { after, count }),
    follow: (after: string, signal: AbortSignal) =>
      withConnection(town, "activity", signal, (connection) =>
        followActivity(town, taskId, { after, signal, connection, untilDone: true }),
      ),
  };
}

/**
 * Runs a follower on a dedicated blocking connection, so its XREAD BLOCK never queues behind (or in front of)
 * anything else. Aborting disconnects at once instead of waiting for the current block to time out.
 */
async function* withConnection<T>(
  town: Town,
  name: string,
  signal: AbortSignal,
  follow: (conn: BlockingRedis) => AsyncGenerator<T>,
): AsyncGenerator<T> {
  const conn = createRedis(town.redisUrl, { blocking: true, connectionName: `tt:${town.name}:api:${name}` });
  // Reconnects are ioredis's job and the follower re-issues its read; without a listener ioredis logs each error.
  conn.on("error", () => {});
  const drop = () => conn.disconnect();
  signal.addEventListener("abort", drop, { once: true });
  try {
    yield* follow(conn);
  } finally {
    signal.removeEventListener("abort", drop);
    conn.disconnect();
  }
}
