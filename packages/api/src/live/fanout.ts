import { CoreError } from "@tinytown/core";

import { compareStreamIds } from "./stream-id";
import { SubscriberQueue } from "./subscriber-queue";

/** A Redis stream seen by the fan-out: where it ends now, reading a range, following it. */
export interface FanoutSource<T extends { id: string }> {
  /** Id of the newest item now ("0-0" when empty): where a new follower starts. */
  head(): Promise<string>;
  /** Items after `after` (exclusive), oldest first, at most `count`. */
  read(after: string, count: number): Promise<T[]>;
  /** Live items after `after` until `signal` aborts. Returning on its own ends every subscriber. */
  follow(after: string, signal: AbortSignal): AsyncIterable<T>;
  /** The follower returning on its own is a normal end (a finished task's log), not a lost stream. */
  endIsNormal: boolean;
  /** Names the stream in errors, e.g. "town events". */
  what: string;
}

export interface FanoutOptions {
  /** Items a subscriber may fall behind before it is dropped. */
  maxBuffer: number;
  /** Items read per round trip while replaying. */
  replayPage: number;
  /** How long the follower outlives its last subscriber (a page reload resubscribes at once). */
  lingerMs: number;
}

interface Run {
  controller: AbortController;
  ready: Promise<void>;
  ended: boolean;
}

/**
 * ONE follower of a stream, fanned out to any number of subscribers. A subscriber that resumes from an id gets
 * the items after it from the stream first, then the live ones, with no gap and no duplicate:
 *
 * 1. it registers (from now on, every item the follower yields lands in its buffer);
 * 2. it waits until the follower's start cursor is fixed (so any item not yet followed is still in the stream);
 * 3. it replays from the stream after its id, up to whatever is there now;
 * 4. it drains its buffer, skipping ids at or before the last one it delivered (stream ids are ordered).
 *
 * The follower starts with the first subscriber and stops `lingerMs` after the last one leaves.
 */
export class Fanout<T extends { id: string }> {
  private readonly subs = new Set<SubscriberQueue<T>>();
  private readonly observers = new Set<(item: T) => void>();
  private run: Run | null = null;
  private linger: NodeJS.Timeout | null = null;

  constructor(
    private readonly source: FanoutSource<T>,
    private readonly opts: FanoutOptions,
    /** Called when the follower stops for lack of subscribers (the owner may forget this fan-out). */
    private readonly onIdle?: () => void,
  ) {}

  get subscriberCount(): number {
    return this.subs.size;
  }

  /** Items after `after` (none: only items from now on), until `signal` aborts or the stream ends. */
  async *subscribe(opts: { after?: string; signal?: AbortSignal }): AsyncGenerator<T, void, undefined> {
    const signal = opts.signal ?? new AbortController().signal;
    const queue = new SubscriberQueue<T>(
      this.opts.maxBuffer,
      () =>
        new CoreError(
          "TIMEOUT",
          `this ${this.source.what} subscription fell more than ${this.opts.maxBuffer} items behind and was closed: resubscribe from the last id you received`,
        ),
    );
    this.subs.add(queue);
    this.cancelLinger();
    try {
      // A read that hangs (Redis paused) must not hold a subscriber whose signal says stop.
      if ((await orAbort(this.ensureRunning(), signal)) === ABORTED) return;
      let last = opts.after;
      if (last !== undefined) {
        for (;;) {
          const page: T[] | typeof ABORTED = await orAbort(this.source.read(last, this.opts.replayPage), signal);
          if (page === ABORTED) return;
          for (const item of page) {
            if (signal.aborted) return;
            last = item.id;
            yield item;
          }
          if (page.length < this.opts.replayPage) break;
        }
      }
      for (;;) {
        const item = await queue.next(signal);
        if (item === null) return;
        if (last !== undefined && compareStreamIds(item.id, last) <= 0) continue;
        last = item.id;
        yield item;
      }
    } finally {
      queue.end();
      this.subs.delete(queue);
      if (this.idle) this.scheduleStop();
    }
  }

  /**
   * Calls `fn` with every live item, synchronously, without being a subscriber (no replay, no buffer): for the
   * process's own bookkeeping. Keeps the follower running while registered; returns the unregister function.
   */
  observe(fn: (item: T) => void): () => void {
    this.observers.add(fn);
    this.cancelLinger();
    this.wake();
    return () => {
      if (this.observers.delete(fn) && this.idle) this.scheduleStop();
    };
  }

  /** Restarts the follower if it stopped (a lost stream) while observers remain. */
  wake(): void {
    if (this.observers.size > 0) this.ensureRunning().catch(() => undefined);
  }

  private get idle(): boolean {
    return this.subs.size === 0 && this.observers.size === 0;
  }

  /** Stops the follower now and ends every subscriber (tests, shutdown). */
  close(): void {
    this.cancelLinger();
    for (const q of this.subs) q.end();
    this.observers.clear();
    this.stop();
  }

  private ensureRunning(): Promise<void> {
    if (this.run && !this.run.ended) return this.run.ready;
    const run: Run = { controller: new AbortController(), ready: Promise.resolve(), ended: false };
    run.ready = this.source.head().then((cursor) => {
      void this.pump(run, cursor);
    });
    // A failed start is not kept: the next subscriber tries again.
    run.ready.catch(() => {
      run.ended = true;
    });
    this.run = run;
    return run.ready;
  }

  private async pump(run: Run, cursor: string): Promise<void> {
    let error: unknown;
    try {
      for await (const item of this.source.follow(cursor, run.controller.signal)) {
        if (run.controller.signal.aborted) break;
        for (const q of this.subs) q.push(item);
        for (const o of this.observers) o(item);
      }
    } catch (err) {
      error = err;
    }
    run.ended = true;
    if (this.run === run) this.run = null;
    if (run.controller.signal.aborted) return;
    const end =
      error !== undefined
        ? error instanceof Error
          ? error
          : new Error(`the ${this.source.what} follower failed`, { cause: error })
        : this.source.endIsNormal
          ? undefined
          : new CoreError(
              "REDIS_UNAVAILABLE",
              `lost the ${this.source.what} stream: resubscribe from the last id you received`,
            );
    for (const q of this.subs) q.end(end);
  }

  private scheduleStop(): void {
    this.cancelLinger();
    this.linger = setTimeout(() => {
      this.linger = null;
      if (!this.idle) return;
      this.stop();
      this.onIdle?.();
    }, this.opts.lingerMs);
    this.linger.unref();
  }

  private cancelLinger(): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
  }

  private stop(): void {
    const run = this.run;
    this.run = null;
    if (!run) return;
    run.ended = true;
    run.controller.abort();
  }
}

const ABORTED = Symbol("aborted");

/** `p`, or ABORTED as soon as `signal` aborts (`p` is left to settle on its own). */
function orAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.resolve(ABORTED);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      p.catch(() => undefined);
      resolve(ABORTED);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
