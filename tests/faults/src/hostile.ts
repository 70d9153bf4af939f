/**
 * Malformed and hostile API requests, generated from a seed: every one has at least one defect that must make
 * the API refuse it (so none may change anything), dressed up with the nastiest content we can think of.
 */
import superjson from "superjson";
import { ORIGIN, pageHeaders } from "./api";

export const NASTY = [
  "\u0000",
  "a\u0000b",
  "\u202e\u2066evil\u2069\u202c", // bidi controls
  "\u001b[31mred\u001b[0m\u001b]0;title\u0007\u001b[2J", // ANSI escapes, OSC, clear screen
  "<script>alert(1)</script>",
  "<img src=x onerror=alert(1)>",
  "$(rm -rf /); `reboot` | cat /etc/passwd && echo $HOME > /tmp/x; ls *",
  "'; DROP TABLE tasks; --",
  "../../../../etc/passwd",
  "tt:other-town:task:1",
  "*",
  "\r\nSet-Cookie: x=1",
  "𝕏".repeat(100),
  "\ufeff\u200b\u200f",
  " ",
  "",
];

const mutations = [
  "task.create",
  "task.move",
  "task.cancel",
  "task.retry",
  "agent.spawn",
  "agent.kill",
  "agent.interrupt",
  "agent.resume",
  "agent.close",
  "agent.restart",
  "message.send",
];
const queries = [
  "task.list",
  "task.get",
  "task.column",
  "task.log",
  "agent.get",
  "message.inbox",
  "town.overview",
  "agent.list",
];

export interface HostileRequest {
  label: string;
  build: () => Request;
  /** A change that must be refused (4xx). Reads may answer 200 (zod drops keys it does not know), never 5xx. */
  change: boolean;
}

function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const deep = (depth: number): unknown => {
  let v: unknown = "bottom";
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};
const deepArrayJson = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
/** Deep JSON text built as a string (serialising a deep object would overflow our own stack first). */
const deepObjectJson = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
const DEEP_ARRAY = deepArrayJson(50_000);
const DEEP_BODY = `{"json":${deepObjectJson(50_000)}}`;
const DEEP_QUERY = encodeURIComponent(`{"json":${deepObjectJson(5_000)}}`);
const MB_BODY = JSON.stringify({ json: { description: "\u0000" + "q".repeat(1024 * 1024) } });
const MB_GARBAGE = "\u202e<script>".repeat(100_000);

/** Values that are wrong for any field they replace (a field that wants a string gets a non-string, and so on). */
function wrongValue(rnd: () => number, wantsString: boolean): unknown {
  const strings = [
    ...NASTY.filter((s) => s.length === 0 || s.includes("\u0000")),
    "x".repeat(1024 * 1024 + 1),
    "<script>".repeat(20_000),
  ];
  const others: unknown[] = [
    null,
    1e308,
    -1,
    2 ** 53 + 1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -0.5,
    true,
    [],
    [NASTY[4]],
    { toString: "x" },
    deep(300),
    12345678901234567890n,
    new Date(0),
    undefined,
  ];
  const pool = wantsString
    ? others
    : [
        ...strings.slice(0, 1),
        ...others.filter((v) => typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 2 ** 40),
      ];
  return pool[Math.floor(rnd() * pool.length)];
}

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}

/** A mutation input with a guaranteed defect, for `path`. `ctx` names real things to aim at. */
function badMutationInput(rnd: () => number, path: string, ctx: { taskId: string; agent: string }): unknown {
  const nasty = () => pick(rnd, NASTY);
  const extra = rnd() < 0.5 ? { extra: nasty(), more: { nested: nasty() } } : {};
  switch (path) {
    case "task.create": {
      const defects = [
        { description: `${nasty()}\u0000${nasty()}` }, // NUL
        { description: "x".repeat(64 * 1024 + 1) }, // over 64 KiB
        { description: "y".repeat(1024 * 1024) }, // 1 MB
        { description: wrongValue(rnd, true) },
        { description: `task ${nasty()}`, priority: nasty() },
        { description: `task ${nasty()}`, tags: [nasty() + "!"] },
        { description: `task ${nasty()}`, assignTo: `nobody-${nasty()}` },
        { description: `task`, tags: Array.from({ length: 17 }, (_, i) => `t${i}`) },
        {},
      ];
      return { ...extra, ...pick(rnd, defects) };
    }
    case "task.move": {
      const base = {
        taskId: ctx.taskId,
        target: { kind: "agent", agent: ctx.agent },
        expectedState: "pending",
        expectedVersion: 1,
      };
      const defects = [
        { ...base, expectedVersion: wrongValue(rnd, false) },
        { ...base, expectedVersion: 999_999 }, // stale: CONFLICT
        { ...base, expectedState: nasty() },
        { ...base, target: { kind: nasty() } },
        { ...base, target: { kind: "agent", agent: `ghost ${nasty()}` } },
        { ...base, target: { kind: "agent" } },
        { ...base, taskId: nasty() + "-missing" },
        { ...base, taskId: wrongValue(rnd, true) },
        { ...base, target: nasty() },
      ];
      return { ...extra, ...pick(rnd, defects) };
    }
    case "task.cancel":
    case "task.retry": {
      const defects = [
        { taskId: ctx.taskId, expectedVersion: wrongValue(rnd, false) },
        { taskId: ctx.taskId, expectedVersion: 999_999 },
        { taskId: `${nasty()}-missing` },
        { taskId: wrongValue(rnd, true) },
        {},
      ];
      // (retry of a pending task is refused as INVALID_STATE even with the right version)
      return { ...extra, ...pick(rnd, path === "task.retry" ? [...defects, { taskId: ctx.taskId }] : defects) };
    }
    case "agent.spawn": {
      const defects = [
        { name: `${nasty()}x!`, model: "work" },
        { name: "ok-name", model: wrongValue(rnd, true) },
        { name: wrongValue(rnd, true), model: "work" },
        { name: "x".repeat(70), model: "work" },
        { name: "ok-name", model: `${nasty()}$(reboot)` },
        { name: ctx.agent, model: "work" },
      ];
      return { ...extra, ...pick(rnd, defects) };
    }
    case "message.send": {
      const defects = [
        { to: `nobody ${nasty()}`, body: "hi" },
        { to: ctx.agent, body: `${nasty()}\u0000` },
        { to: ctx.agent, body: "z".repeat(1024 * 1024) },
        { to: ctx.agent, body: wrongValue(rnd, true) },
        { to: ctx.agent, body: "hi", type: nasty() },
        { to: ctx.agent, body: "hi", priority: nasty() },
        { to: wrongValue(rnd, true), body: "hi" },
      ];
      return { ...extra, ...pick(rnd, defects) };
    }
    default: {
      // agent.kill / interrupt / resume / close / restart: a missing or malformed agent reference, or a malformed option.
      const defects: unknown[] = [
        { agent: `ghost-${nasty()}` },
        { agent: wrongValue(rnd, true) },
        { agent: "x".repeat(200) },
        {},
      ];
      if (path === "agent.kill") defects.push({ agent: ctx.agent, tasks: `${nasty()}!` });
      if (path === "agent.interrupt") defects.push({ agent: ctx.agent, now: `${nasty()}!` });
      return { ...extra, ...(pick(rnd, defects) as object) };
    }
  }
}

function badQueryInput(rnd: () => number, path: string, ctx: { taskId: string; agent: string }): unknown {
  const nasty = () => pick(rnd, NASTY);
  return pick(rnd, [
    { taskId: `${nasty()}` },
    { taskId: ctx.taskId, after: nasty() },
    { taskId: ctx.taskId, limit: wrongValue(rnd, false) },
    { column: nasty() },
    { state: nasty(), limit: 1e9 },
    { agent: nasty() },
    { mailbox: nasty(), limit: -1 },
    { offset: -1, limit: Number.NaN },
    deep(300),
    wrongValue(rnd, true),
    { ...ctx, extra: nasty() },
  ]);
}

/** The raw requests no client library would send. */
function rawRequest(rnd: () => number, ctx: { taskId: string; agent: string }): HostileRequest {
  const nasty = () => pick(rnd, NASTY);
  const post =
    (path: string, body: string | null, ct = "application/json") =>
    () =>
      new Request(`${ORIGIN}/api/trpc/${path}`, { method: "POST", headers: pageHeaders({ "content-type": ct }), body });
  const get = (pathAndQuery: string) => () =>
    new Request(`${ORIGIN}/api/trpc/${pathAndQuery}`, { method: "GET", headers: pageHeaders() });
  const m = pick(rnd, mutations);
  const options: HostileRequest[] = [
    { label: "invalid JSON", change: true, build: post(m, "{not json") },
    { label: "JSON null", change: true, build: post(m, "null") },
    { label: "JSON array", change: true, build: post(m, "[1,2,3]") },
    { label: "deep JSON", change: true, build: post(m, DEEP_ARRAY) },
    { label: "deep object JSON", change: true, build: post(m, DEEP_BODY) },
    { label: "1 MB body", change: true, build: post(m, MB_BODY) },
    { label: "1 MB of garbage", change: true, build: post(m, MB_GARBAGE) },
    { label: "text/html body", change: true, build: post(m, `<html><script>alert(1)</script></html>`, "text/html") },
    {
      label: "form post",
      change: true,
      build: post(m, `description=${encodeURIComponent(nasty())}`, "application/x-www-form-urlencoded"),
    },
    { label: "NUL bytes body", change: true, build: post(m, "\u0000\u0000\u0000") },
    {
      label: "__proto__ JSON",
      change: true,
      build: post(m, `{"json":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}`),
    },
    {
      label: "superjson meta pollution",
      change: true,
      build: post(
        m,
        JSON.stringify({
          json: { taskId: "x" },
          meta: { values: { "__proto__.polluted": ["undefined"], "constructor.prototype.polluted": ["undefined"] } },
        }),
      ),
    },
    {
      label: "superjson bad meta",
      change: true,
      build: post(
        m,
        JSON.stringify({
          json: { description: "d" },
          meta: {
            values: { description: [["custom", "nope"]] },
            referentialEqualities: { description: ["__proto__"] },
          },
        }),
      ),
    },
    {
      label: "huge number literal",
      change: true,
      build: post(m, `{"json":{"expectedVersion":1e999999,"taskId":"${ctx.taskId}"}}`),
    },
    {
      label: "GET a mutation",
      change: true,
      build: get(`${m}?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`),
    },
    { label: "POST a query", change: true, build: post(pick(rnd, queries), JSON.stringify({ json: {} })) },
    { label: "unknown procedure", change: false, build: get(`${encodeURIComponent(nasty())}.x?input=%7B%7D`) },
    { label: "prototype path", change: false, build: get(`__proto__.toString?input=%7B%7D`) },
    { label: "constructor path", change: true, build: post(`task.constructor`, "{}") },
    {
      label: "batch of junk",
      change: false,
      build: get(`task.list,task.get,${encodeURIComponent(nasty())}?batch=1&input=${encodeURIComponent(nasty())}`),
    },
    {
      label: "batch input not object",
      change: true,
      build: post(`task.create,task.create?batch=1`, JSON.stringify([1, 2])),
    },
    {
      label: "query input not JSON",
      change: false,
      build: get(`task.list?input=${encodeURIComponent("{" + nasty())}`),
    },
    { label: "query input deep", change: false, build: get(`task.list?input=${DEEP_QUERY}`) },
  ];
  return pick(rnd, options);
}

/** `n` hostile requests from `seed`: a third typed mutations, a third typed queries, a third raw. */
export function hostileRequests(n: number, seed: number, ctx: { taskId: string; agent: string }): HostileRequest[] {
  const rnd = mulberry32(seed);
  const out: HostileRequest[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 3;
    if (kind === 0) {
      const path = pick(rnd, mutations);
      const input = badMutationInput(rnd, path, ctx);
      let body = JSON.stringify(superjson.serialize(input));
      // `__proto__` / `constructor` keys, written into the JSON text (no serializer would send them).
      if (rnd() < 0.4)
        body = body.replace(
          '{"json":{',
          '{"json":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},',
        );
      out.push({
        label: `${path} ${body.slice(0, 80)}`,
        change: true,
        build: () =>
          new Request(`${ORIGIN}/api/trpc/${path}`, {
            method: "POST",
            headers: pageHeaders({ "content-type": "application/json" }),
            body,
          }),
      });
    } else if (kind === 1) {
      const path = pick(rnd, queries);
      let input = JSON.stringify(superjson.serialize(badQueryInput(rnd, path, ctx)));
      if (rnd() < 0.3) input = input.replace('{"json":{', '{"json":{"__proto__":{"polluted":true},');
      out.push({
        label: `${path} ${input.slice(0, 80)}`,
        change: false,
        build: () =>
          new Request(`${ORIGIN}/api/trpc/${path}?input=${encodeURIComponent(input)}`, {
            method: "GET",
            headers: pageHeaders(),
          }),
      });
    } else out.push(rawRequest(rnd, ctx));
  }
  return out;
}
