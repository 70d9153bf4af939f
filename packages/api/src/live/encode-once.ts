/**
 * Encode once: a live event is one object pushed to every subscriber of the town (see {@link Fanout}), and tRPC
 * serialises what each subscription yields. Events marked here are frozen and their superjson encoding is computed by
 * the first subscriber's stream and reused by all the others, so N subscribers cost one encoding, not N.
 */
import superjson from "superjson";

type Encoded = ReturnType<typeof superjson.serialize>;

const shared = new WeakSet<object>();
const encodings = new WeakMap<object, Encoded>();

/** Marks a live item as shared by all subscribers: frozen (nobody may change it after it is encoded) and encoded once. */
export function encodeOnce<T extends object>(item: T): T {
  shared.add(Object.freeze(item));
  return item;
}

/** superjson, reusing the encoding of items marked with {@link encodeOnce}. */
export const transformer = {
  serialize(value: unknown): Encoded {
    if (typeof value !== "object" || value === null || !shared.has(value)) return superjson.serialize(value);
    let encoded = encodings.get(value);
    if (!encoded) encodings.set(value, (encoded = superjson.serialize(value)));
    return encoded;
  },
  deserialize: <T>(payload: Encoded): T => superjson.deserialize<T>(payload),
};

/** Whether `value` is a shared live item (tests). */
export const isEncodedOnce = (value: object) => shared.has(value) && encodings.has(value);
