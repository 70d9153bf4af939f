/**
 * Follows the output of every watched task of a town with ONE `XREAD BLOCK` over all their streams, on one
 * blocking connection, instead of a connection per task. A task joining or leaving interrupts the current read
 * (`CLIENT UNBLOCK`; on a Cluster, where that cannot be aimed, reads are short instead), so a new task's live
 * lines are not held back. A follow of a task that is over (completed, failed, cancelled) ends once its log is
 * drained, as `followTaskLog` does.
 */
import {
  createRedis,
  isCluster,
  isTaskOver,
  parseTaskLog,
  readTaskLog,
  type TaskLogEntry,
  type Town,
} from "@tinytown/core";

type BlockingRedis = ReturnType<typeof createRedis>;

const BLOCK_MS = 2_000;
const CLUSTER_BLOCK_MS = 300;
/** How often a followed task's state is checked to end its follow when it is over. */
const DONE_CHECK_MS = 1_000;

interface Follow {
  taskId: string;
  key: string;
  cursor: string;
  items: TaskLogEntry[];
  ended: boolean;
  wake: (() => void) | null;
}

export class TaskLogMux {
  private readonly follows = new Map<string, Follow>();
  private conn: BlockingRedis | null = null;
  private connId: string | null = null;
  private looping = false;
  private blocked = false;
  private lastDoneCheck = 0;

  constructor(private readonly town: Town) {}

  /** Blocking connections this mux holds now (0 or 1). */
  get connections(): number {
    return this.conn ? 1 : 0;
  }

  /** Lines of `taskId` after `after`, live, until `signal` aborts or the task is over and its log drained. */
  async *follow(taskId: string, after: string, signal: AbortSignal): AsyncGenerator<TaskLogEntry> {
    const f: Follow = {
      taskId,
      key: this.town.keys.taskLog(taskId),
      cursor: after,
      items: [],
      ended: false,
      wake: null,
    };
    this.follows.get(taskId)?.wake?.();
    this.follows.set(taskId, f);
    this.kick();
    try {
      for (;;) {
        if (f.items.length > 0) {
          const batch = f.items;
          f.items = [];
          yield* batch;
          continue;
        }
        if (f.ended || signal.aborted) return;
        await new Promise<void>((resolve) => {
          const done = () => {
            signal.removeEventListener("abort", done);
            f.wake = null;
            resolve();
          };
          f.wake = done;
          signal.addEventListener("abort", done, { once: true });
        });
      }
    } finally {
      if (this.follows.get(taskId) === f) this.follows.delete(taskId);
      if (this.follows.size === 0) this.disconnect();
      else this.interrupt();
    }
  }

  /** Stops following everything (tests, shutdown). */
  close(): void {
    for (const f of this.follows.values()) {
      f.ended = true;
      f.wake?.();
    }
    this.follows.clear();
    this.disconnect();
  }

  /** Starts the read loop, or makes the running one pick up the changed set of tasks. */
  private kick(): void {
    if (this.looping) return this.interrupt();
    this.looping = true;
    void this.loop().finally(() => {
      this.looping = false;
      if (this.follows.size > 0) this.kick();
    });
  }

  private async loop(): Promise<void> {
    while (this.follows.size > 0) {
      const conn = this.connection();
      const follows = [...this.follows.values()];
      let reply: [string, [string, string[]][]][] | null = null;
      try {
        this.blocked = true;
        reply = await conn.xread(
          "COUNT",
          1000,
          "BLOCK",
          isCluster(this.town.redis) ? CLUSTER_BLOCK_MS : BLOCK_MS,
          "STREAMS",
          ...follows.map((f) => f.key),
          ...follows.map((f) => f.cursor),
        );
      } catch {
        // Disconnected on purpose (nothing left to follow), or the connection dropped: re-issue after a pause.
        if (this.follows.size === 0) return;
        await new Promise((r) => setTimeout(r, 250));
      } finally {
        this.blocked = false;
      }
      for (const [key, entries] of reply ?? []) {
        const f = follows.find((x) => x.key === key);
        if (!f) continue;
        for (const line of parseTaskLog(entries)) {
          f.cursor = line.id;
          f.items.push(line);
        }
        f.wake?.();
      }
      if (Date.now() - this.lastDoneCheck >= DONE_CHECK_MS) await this.endFinished();
    }
  }

  /** Ends the follows of tasks that are over, after the lines written between the last read and the state check. */
  private async endFinished(): Promise<void> {
    this.lastDoneCheck = Date.now();
    const follows = [...this.follows.values()];
    try {
      const pipe = this.town.redis.pipeline();
      for (const f of follows) pipe.hget(this.town.keys.task(f.taskId), "state");
      const states = (await pipe.exec()) ?? [];
      for (const [i, f] of follows.entries()) {
        if (!isTaskOver(states[i]?.[1] as string | null)) continue;
        const rest = await readTaskLog(this.town, f.taskId, { after: f.cursor, count: 10_000 });
        f.items.push(...rest);
        f.cursor = rest.at(-1)?.id ?? f.cursor;
        f.ended = true;
        if (this.follows.get(f.taskId) === f) this.follows.delete(f.taskId);
        f.wake?.();
      }
    } catch {
      // Redis away: the next pass checks again.
    }
  }

  private connection(): BlockingRedis {
    if (this.conn) return this.conn;
    const conn = createRedis(this.town.redisUrl, { blocking: true, connectionName: `tt:${this.town.name}:api:logs` });
    // Reconnects are ioredis's job and the loop re-issues its read; without a listener ioredis logs each error.
    conn.on("error", () => {});
    conn.on("ready", () => {
      this.connId = null;
      if (!isCluster(conn))
        void conn
          .client("ID")
          .then((id) => {
            if (this.conn === conn) this.connId = String(id);
          })
          .catch(() => undefined);
    });
    this.conn = conn;
    return conn;
  }

  /** Ends the current blocking read early (it returns as if timed out) so the loop re-reads with the new set. */
  private interrupt(): void {
    if (this.blocked && this.connId && !isCluster(this.town.redis))
      void this.town.redis.client("UNBLOCK", this.connId).catch(() => undefined);
  }

  private disconnect(): void {
    const conn = this.conn;
    this.conn = null;
    this.connId = null;
    conn?.disconnect();
  }
}
