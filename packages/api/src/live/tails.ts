/**
 * The last output line of each of a few tasks, live: what the board shows on its running cards. One subscription
 * for all of them (the tasks' logs are followed through the shared fan-outs, so a watched log costs no extra Redis
 * connection), sending only the newest line per task, coalesced over {@link COALESCE_MS}.
 */
import { readTaskLog, type TaskLogEntry, type Town } from "@tinytown/core";

import { taskLogHub } from "./hub";

const COALESCE_MS = 250;
/** A line is cut to this many characters: a card shows one line. */
const LINE_CHARS = 240;

export type TaskTail = Pick<TaskLogEntry, "at" | "stream" | "line">;

const tail = (e: TaskLogEntry): TaskTail => ({ at: e.at, stream: e.stream, line: e.line.slice(0, LINE_CHARS) });

/** First the current last line of each task that has one, then each newer last line, until `signal` aborts. */
export async function* taskTails(
  town: Town,
  taskIds: readonly string[],
  signal: AbortSignal,
): AsyncGenerator<Record<string, TaskTail>> {
  const heads = await Promise.all(taskIds.map(async (id) => (await readTaskLog(town, id, { count: 1 }))[0] ?? null));
  const first: Record<string, TaskTail> = {};
  taskIds.forEach((id, i) => {
    if (heads[i]) first[id] = tail(heads[i]);
  });
  yield first;

  let pending: Record<string, TaskTail> = {};
  let wake: (() => void) | null = null;
  taskIds.forEach((id, i) => {
    void (async () => {
      for await (const line of taskLogHub(town, id).subscribe({ after: heads[i]?.id ?? "0-0", signal })) {
        pending[id] = tail(line);
        wake?.();
      }
    })().catch(() => undefined);
  });
  while (!signal.aborted) {
    if (Object.keys(pending).length === 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      wake = null;
      continue;
    }
    const out = pending;
    pending = {};
    yield out;
    await new Promise((r) => setTimeout(r, COALESCE_MS));
  }
}
