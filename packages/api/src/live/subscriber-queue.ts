/**
 * The bounded buffer between a live source and one subscriber. The source never waits for a subscriber: when a
 * subscriber falls `max` items behind, its buffer is dropped and it ends with `overflow`, so one slow client
 * costs at most `max` items of memory and never slows the others down.
 */
export class SubscriberQueue<T> {
  private items: T[] = [];
  private head = 0;
  private wake: (() => void) | null = null;
  private done = false;
  private error: Error | null = null;

  constructor(
    private readonly max: number,
    private readonly overflow: () => Error,
  ) {}

  get ended(): boolean {
    return this.done;
  }

  push(item: T): void {
    if (this.done) return;
    if (this.items.length - this.head >= this.max) {
      this.items = [];
      this.head = 0;
      this.end(this.overflow());
      return;
    }
    this.items.push(item);
    this.notify();
  }

  /** No more items: the buffered ones are still delivered, then `next` returns null (or throws `error`). */
  end(error?: Error): void {
    if (this.done) return;
    this.done = true;
    this.error = error ?? null;
    this.notify();
  }

  /** The next item; null once ended or when `signal` aborts. Throws the error the queue ended with. */
  async next(signal: AbortSignal): Promise<T | null> {
    for (;;) {
      if (this.head < this.items.length) {
        const item = this.items[this.head++]!;
        if (this.head > 1024 && this.head * 2 > this.items.length) {
          this.items = this.items.slice(this.head);
          this.head = 0;
        }
        return item;
      }
      if (this.done) {
        if (this.error) throw this.error;
        return null;
      }
      if (signal.aborted) return null;
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener("abort", done);
          this.wake = null;
          resolve();
        };
        this.wake = done;
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  private notify(): void {
    this.wake?.();
  }
}
