/**
 * Password hashing with node:crypto scrypt and a random salt per password. The stored form names its parameters
 * (`scrypt$N$r$p$<salt b64>$<hash b64>`), so a hash made with older parameters still verifies and is upgraded on the
 * next sign-in ({@link needsRehash}).
 *
 * One hash is deliberately expensive (N=2^17 costs 128 MiB and ~0.4 s of one core), so every hash of the process
 * goes through one gate: at most {@link HASH_CONCURRENCY} at a time, the rest wait in line for at most
 * {@link HASH_WAIT_MS}. A burst of sign-ins therefore costs bounded memory and CPU, however many arrive at once.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";

import { CoreError } from "../errors";

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** OWASP Password Storage Cheat Sheet: scrypt with N=2^17, r=8, p=1. */
export const SCRYPT_PARAMS: Readonly<ScryptParams> = { N: 2 ** 17, r: 8, p: 1 };
/** Hashes computed at once per process; each holds 128·N·r bytes (128 MiB) while it runs. */
export const HASH_CONCURRENCY = 2;
/** How long a hash waits for its turn before the caller is told the server is busy. */
export const HASH_WAIT_MS = 10_000;

const KEY_LEN = 32;
/** Bounds on the parameters read back from a stored hash, so a corrupt hash cannot ask for unbounded memory. */
const LIMITS = { N: 2 ** 20, r: 32, p: 16 };

const stats = { computed: 0, running: 0, waiting: 0, peak: 0 };

/**
 * How the hash gate is doing: hashes computed since the process started, running and waiting now, and the most
 * that ever ran at once (never above {@link HASH_CONCURRENCY}).
 */
export function passwordHashStats(): Readonly<typeof stats> {
  return { ...stats };
}

/**
 * A counting semaphore with a bounded wait. Written here rather than taken from p-limit and the like because a
 * waiter must give up after a deadline (a flood of sign-ins must not queue without bound).
 */
const gate = {
  held: 0,
  queue: [] as (() => void)[],
  async acquire(): Promise<void> {
    if (gate.held < HASH_CONCURRENCY) {
      gate.held += 1;
      return;
    }
    stats.waiting += 1;
    try {
      await new Promise<void>((resolve, reject) => {
        const turn = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          gate.queue.splice(gate.queue.indexOf(turn), 1);
          reject(
            new CoreError("TIMEOUT", "the server is busy checking other passwords: try again in a few seconds", {
              reason: "busy",
            }),
          );
        }, HASH_WAIT_MS);
        timer.unref?.();
        gate.queue.push(turn);
      });
    } finally {
      stats.waiting -= 1;
    }
  },
  release(): void {
    const next = gate.queue.shift();
    if (next)
      next(); // the slot passes straight to the next waiter
    else gate.held -= 1;
  },
};

async function scrypt(password: string, salt: Buffer, keyLen: number, params: ScryptParams): Promise<Buffer> {
  // Node refuses when 128·N·r exceeds maxmem (default 32 MiB); leave room for the p blocks.
  const opts: ScryptOptions = { ...params, maxmem: 128 * params.N * params.r + 128 * params.r * params.p + 2 ** 20 };
  await gate.acquire();
  // Counted around the computation itself, not by the gate, so the stats show what really ran at once.
  stats.running += 1;
  stats.peak = Math.max(stats.peak, stats.running);
  try {
    return await new Promise<Buffer>((resolve, reject) =>
      scryptCb(password.normalize("NFC"), salt, keyLen, opts, (err, key) => (err ? reject(err) : resolve(key))),
    );
  } finally {
    stats.running -= 1;
    stats.computed += 1;
    gate.release();
  }
}

/** Hashes a password with {@link SCRYPT_PARAMS} (or `params`, for tests of older hashes). */
export async function hashPassword(password: string, params: ScryptParams = SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LEN, params);
  return ["scrypt", params.N, params.r, params.p, salt.toString("base64"), key.toString("base64")].join("$");
}

interface ParsedHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

function parseHash(stored: string): ParsedHash | null {
  const [algo, n, r, p, salt, hash, ...rest] = stored.split("$");
  if (algo !== "scrypt" || !salt || !hash || rest.length > 0) return null;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const ok =
    Number.isInteger(params.N) &&
    params.N > 1 &&
    params.N <= LIMITS.N &&
    (params.N & (params.N - 1)) === 0 &&
    Number.isInteger(params.r) &&
    params.r >= 1 &&
    params.r <= LIMITS.r &&
    Number.isInteger(params.p) &&
    params.p >= 1 &&
    params.p <= LIMITS.p;
  if (!ok) return null;
  const expected = Buffer.from(hash, "base64");
  return expected.length >= 16 ? { ...params, salt: Buffer.from(salt, "base64"), hash: expected } : null;
}

/** Whether `password` matches `stored`, using the parameters stored with it; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await scrypt(password, parsed.salt, parsed.hash.length, parsed);
  return timingSafeEqual(key, parsed.hash);
}

/** Whether a stored hash was made with other parameters than the current ones (then rehash it on sign-in). */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  return (
    !parsed ||
    parsed.N !== SCRYPT_PARAMS.N ||
    parsed.r !== SCRYPT_PARAMS.r ||
    parsed.p !== SCRYPT_PARAMS.p ||
    parsed.hash.length !== KEY_LEN
  );
}

/** A hash of a random password: verified against when the user does not exist, so timing does not tell. */
let dummy: Promise<string> | null = null;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString("hex"));
  dummy.catch(() => (dummy = null));
  return dummy;
}
