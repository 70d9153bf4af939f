/**
 * One way to run a live stream: opened under the stream guard (authorised now, counted against the client's cap),
 * ended within a second of a revocation, its errors mapped to tRPC's once, its slot released however it ends.
 */
import { toTRPCError } from "../trpc";
import { openLiveStream, type LiveStreamContext } from "./guard";

/** Yields what `body` yields, reading with the guard's signal; a revoked stream ends with the guard's error. */
export async function* guardedStream<T>(
  ctx: LiveStreamContext,
  signal: AbortSignal | undefined,
  body: (signal: AbortSignal) => AsyncIterable<T>,
): AsyncGenerator<T, void, unknown> {
  const stream = openLiveStream(ctx, "read", signal);
  try {
    yield* body(stream.signal);
    stream.throwIfRevoked();
  } catch (err) {
    toTRPCError(err);
  } finally {
    stream.release();
  }
}
