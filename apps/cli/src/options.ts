/**
 * The one parser of option and argument values for every command. Commander calls these while parsing, before any
 * action runs, so a bad value exits 2 with a message saying what was wrong and what to give, and nothing is sent to
 * Redis. Each returns the parsed value (numbers as numbers, choices normalised to lower case).
 */
import { InvalidArgumentError } from "commander";
import { STREAM_POSITION } from "@tinytown/core";

type Parser<T> = (raw: string) => T;

const fail = (message: string): never => {
  throw new InvalidArgumentError(message);
};

/** A whole number in [min, max] (decimal digits only: no "1e3", no "0x10", no "12abc"). */
export function int(opts: { min: number; max: number }): Parser<number> {
  const range = `a whole number from ${opts.min} to ${opts.max}`;
  return (raw) => {
    const s = raw.trim();
    if (!/^[-+]?\d+$/.test(s)) return fail(`"${raw}" is not ${range}`);
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < opts.min || n > opts.max) return fail(`${s} is out of range: give ${range}`);
    return n;
  };
}

/** A duration in seconds, e.g. `30` or `0.5`: more than 0 and at most `max`. */
export function seconds(opts: { max: number }): Parser<number> {
  const what = `a number of seconds greater than 0 and at most ${opts.max}`;
  return (raw) => {
    const s = raw.trim();
    if (!/^\d+(\.\d+)?$/.test(s)) return fail(`"${raw}" is not ${what}`);
    const n = Number(s);
    if (!(n > 0) || n > opts.max) return fail(`${s} is out of range: give ${what}`);
    return n;
  };
}

/** One of `values`, case-insensitive; returns the value as listed. */
export function oneOf<T extends string>(values: readonly T[], what: string): Parser<T> {
  return (raw) => {
    const v = values.find((x) => x === raw.trim().toLowerCase());
    return v ?? fail(`unknown ${what} "${raw}": use one of ${values.join(", ")}`);
  };
}

/** An event id as `tt events --json` prints it: `<ms>-<seq>` (or just `<ms>`). */
export const eventId: Parser<string> = (raw) =>
  STREAM_POSITION.test(raw.trim())
    ? raw.trim()
    : fail(`"${raw}" is not an event id: use one printed by \`tt events --json\` (like 1732412345678-0)`);

/** A TCP port. */
export const port: Parser<number> = int({ min: 1, max: 65535 });

/** A host name or address to listen on. */
export const host: Parser<string> = (raw) =>
  /^[A-Za-z0-9.:[\]-]{1,253}$/.test(raw.trim())
    ? raw.trim()
    : fail(`"${raw}" is not a host name or address (like 127.0.0.1, localhost or 0.0.0.0)`);

/** Repeatable option: collects every value (each checked by `each`). */
export function many<T>(each: Parser<T>): (raw: string, prev?: T[]) => T[] {
  return (raw, prev = []) => [...prev, each(raw)];
}

/** Any non-empty text. */
export const text: Parser<string> = (raw) => (raw.length > 0 ? raw : fail("the value is empty"));
