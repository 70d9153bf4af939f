import { describe, expect, test } from "vitest";
import { pidAlive, waitFor } from "../../test/helpers";
import { AgentProcess, type OutputSink } from "./agent-process";
import { LineSplitter } from "./line-splitter";

function sink(): OutputSink & { lines: [string, string][] } {
  const lines: [string, string][] = [];
  return { lines, write: (s, l) => lines.push([s, l]), backlogged: false, drained: () => Promise.resolve() };
}
const node = (code: string, extra: Partial<Parameters<typeof AgentProcess.start>[0]> = {}) => {
  const out = sink();
  const p = AgentProcess.start({
    command: process.execPath,
    args: ["-e", code],
    cwd: process.cwd(),
    env: process.env,
    output: out,
    ...extra,
  });
  return { p, out };
};

describe("AgentProcess", () => {
  test("typed results: exit code, signal, spawn failure", async () => {
    expect(await node("process.exit(0)").p.exited).toEqual({ kind: "exited", code: 0 });
    expect(await node("process.exit(7)").p.exited).toEqual({ kind: "exited", code: 7 });
    expect(await node("process.kill(process.pid, 'SIGSEGV')").p.exited).toEqual({
      kind: "signalled",
      signal: "SIGSEGV",
    });
    const missing = AgentProcess.start({
      command: "tt-definitely-missing",
      args: [],
      cwd: process.cwd(),
      env: process.env,
      output: sink(),
    });
    expect(await missing.exited).toMatchObject({ kind: "spawn-failed", code: "ENOENT" });
  });

  test("stdin in, stdout and stderr out line by line", async () => {
    const { p, out } = node(
      "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{console.log(s.toUpperCase());console.error('e1\\ne2')})",
      { stdin: "a\nb" },
    );
    await p.exited;
    expect(out.lines).toEqual(
      expect.arrayContaining([
        ["out", "A"],
        ["out", "B"],
        ["err", "e1"],
        ["err", "e2"],
      ]),
    );
  });

  test("terminate: SIGTERM first; SIGKILL for the whole group after the grace", async () => {
    const { p, out } = node(
      "process.on('SIGTERM',()=>{}); const c = require('child_process').spawn(process.execPath,['-e',\"process.on('SIGTERM',()=>{});setInterval(()=>{},1000)\"],{stdio:'ignore'}); console.log(c.pid); setInterval(()=>{},1000)",
    );
    const grandchild = Number(await waitFor("grandchild", () => out.lines[0]?.[1]));
    expect(p.groupAlive() && pidAlive(grandchild)).toBe(true);
    const t0 = Date.now();
    await p.terminate(300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(await p.exited).toEqual({ kind: "signalled", signal: "SIGKILL" });
    // Dead (at most a zombie until init reaps it).
    expect(pidAlive(p.pid!) || pidAlive(grandchild)).toBe(false);
  });

  test("a polite process stops on SIGTERM without waiting for the grace", async () => {
    const { p } = node("setInterval(()=>{},1000)");
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await p.terminate(5_000);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(await p.exited).toEqual({ kind: "signalled", signal: "SIGTERM" });
  });
});

describe("LineSplitter", () => {
  test("splits across chunks, keeps UTF-8 intact, drops \\r, caps long lines", () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), 10);
    const euro = Buffer.from("€");
    s.push(Buffer.concat([Buffer.from("ab"), euro.subarray(0, 1)]));
    s.push(Buffer.concat([euro.subarray(1), Buffer.from("c\r\nxyz")]));
    s.push(Buffer.from("0123456789ABCDEF"));
    s.push(Buffer.from("more\nlast"));
    s.end();
    expect(lines).toEqual(["ab€c", "xyz0123456 …[line truncated]", "last"]);
  });
});
