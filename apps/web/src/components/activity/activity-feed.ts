import type { ActivityEntry } from "@tinytown/core/schema";

/** Entries kept in the browser; older ones are dropped so a long session never grows the page without bound. */
export const MAX_ENTRIES = 3000;

/**
 * The entries a timeline has received, outside React's render: remembers the last id (to resume after it and to
 * drop repeats) and batches a burst of entries into one update per frame.
 */
export class ActivityFeed {
  lastId: string | null = null;
  private listener: ((entries: ActivityEntry[]) => void) | null = null;
  private batch: ActivityEntry[] = [];
  private frame: number | null = null;

  constructor(private readonly deliver: (entries: ActivityEntry[]) => void) {}

  push(entry: ActivityEntry): void {
    if (this.lastId && compareIds(entry.id, this.lastId) <= 0) return; // already shown
    this.lastId = entry.id;
    this.batch.push(entry);
    this.frame ??= requestAnimationFrame(() => this.flush());
  }

  /** Also tells `listener` of each delivered batch, until the returned function is called. */
  listen(listener: (entries: ActivityEntry[]) => void): () => void {
    this.listener = listener;
    return () => {
      if (this.listener === listener) this.listener = null;
    };
  }

  /** Delivers what waits for the next frame now (a stream remounting must not lose it). */
  flush(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    const entries = this.batch;
    this.batch = [];
    if (entries.length === 0) return;
    this.deliver(entries);
    this.listener?.(entries);
  }
}

/** Orders Redis stream ids ("ms-seq"). */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
}
