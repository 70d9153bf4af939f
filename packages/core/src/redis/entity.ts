/**
 * Hash codec and change plans shared by agents and tasks: an entity is a Redis hash with a `version`;
 * a change writes only the fields that differ, deletes fields that became null, and checks the version read.
 */
import type { WritePlan } from "./atomic";

export interface Codec {
  numbers: readonly string[];
  json: readonly string[];
}

type Row = Record<string, unknown> & { version: number };

export function encodeFields(
  obj: Record<string, unknown>,
  codec: Codec,
): { set: Record<string, string>; del: string[] } {
  const set: Record<string, string> = {};
  const del: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v === null || v === undefined) del.push(k);
    else if (codec.json.includes(k)) set[k] = JSON.stringify(v);
    else set[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return { set, del };
}

export function decodeFields<T>(h: Record<string, string>, codec: Codec, nullable: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const k of nullable) out[k] = null;
  for (const [k, v] of Object.entries(h)) {
    if (codec.numbers.includes(k)) out[k] = Number(v);
    else if (codec.json.includes(k)) out[k] = JSON.parse(v) as unknown;
    else out[k] = v;
  }
  return out as T;
}

/** Plan that turns `prev` into `next` (next.version must be prev.version + 1), or creates `next` when prev is null. */
export function changePlan<T extends Row>(key: string, prev: T | null, next: T, codec: Codec): WritePlan {
  if (!prev) {
    const { set } = encodeFields(next, codec);
    return { expect: [{ key, version: null }], hset: [{ key, fields: set }] };
  }
  const changed: Record<string, unknown> = {};
  for (const k of Object.keys({ ...prev, ...next })) {
    const a = prev[k];
    const b = next[k];
    if (JSON.stringify(a) !== JSON.stringify(b)) changed[k] = b ?? null;
  }
  const { set, del } = encodeFields(changed, codec);
  return { expect: [{ key, version: prev.version }], hset: [{ key, fields: set }], hdel: [{ key, fields: del }] };
}

/** Merges plans; later plans' writes come after earlier ones. */
export function mergePlans(...plans: WritePlan[]): WritePlan {
  const out: WritePlan = { expect: [], absent: [], hset: [], hdel: [], zadd: [], zrem: [], del: [], rpush: [] };
  for (const p of plans) {
    out.expect.push(...p.expect);
    out.absent!.push(...(p.absent ?? []));
    out.hset!.push(...(p.hset ?? []));
    out.hdel!.push(...(p.hdel ?? []));
    out.zadd!.push(...(p.zadd ?? []));
    out.zrem!.push(...(p.zrem ?? []));
    out.del!.push(...(p.del ?? []));
    out.rpush!.push(...(p.rpush ?? []));
    if (p.event) out.event = p.event;
    if (p.events?.length) (out.events ??= []).push(...p.events);
  }
  return out;
}
