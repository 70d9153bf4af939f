/**
 * docs/SECURITY.md shows core's permission table, the message types that need more than `message.send`, and the
 * sign-in backoff and hashing numbers. Each is rendered here from the code and compared with the document, so the
 * two cannot drift: change the code and this test prints the block to paste.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { describe, expect, test } from "vitest";

import { MESSAGE_TYPES } from "../message/message";
import { HASH_CONCURRENCY, HASH_WAIT_MS, SCRYPT_PARAMS } from "./password";
import { ACTION_SUMMARIES, can, MESSAGE_TYPE_ACTIONS, PERMISSIONS, ROLES, roleFor, type Action } from "./roles";
import { LOGIN_POLICY, type BackoffRule } from "./throttle";

const DOC = readFileSync(fileURLToPath(new URL("../../../../docs/SECURITY.md", import.meta.url)), "utf8");

/** A table's rows as trimmed cells, whatever its padding (alignment rows as `---` / `:-:`). */
function cells(markdown: string): string[][] {
  return markdown
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("|"))
    .map((l) =>
      l
        .slice(1, -1)
        .split("|")
        .map((c) => c.trim())
        .map((c) => (/^:-+:$/.test(c) ? ":-:" : /^-+$/.test(c) ? "---" : c)),
    );
}

/** The table between `<!-- name:begin -->` and `<!-- name:end -->`. */
function block(name: string): string[][] {
  const m = new RegExp(`<!-- ${name}:begin -->([\\s\\S]*?)<!-- ${name}:end -->`).exec(DOC);
  if (!m) throw new Error(`docs/SECURITY.md has no ${name}:begin / ${name}:end block`);
  return cells(m[1]!);
}

/** The expected table, as cells; on a mismatch vitest prints both. */
const rows = (lines: string[]) => cells(lines.join("\n"));

describe("docs/SECURITY.md matches core", () => {
  test("the roles table is core's permission table", () => {
    const actions = Object.keys(PERMISSIONS) as Action[];
    const expected = rows([
      `| Action | Covers | ${ROLES.join(" | ")} |`,
      `|---|---|${ROLES.map(() => ":-:").join("|")}|`,
      ...actions.map(
        (a) => `| \`${a}\` | ${ACTION_SUMMARIES[a]} | ${ROLES.map((r) => (can(r, a) ? "✓" : "—")).join(" | ")} |`,
      ),
    ]);
    expect(block("roles")).toEqual(expected);
  });

  test("the message-type table is core's rule", () => {
    const special = MESSAGE_TYPES.filter((t) => MESSAGE_TYPE_ACTIONS[t]);
    const expected = rows([
      "| Message type | Needs | Weakest role |",
      "|---|---|---|",
      ...special.map((t) => `| \`${t}\` | \`${MESSAGE_TYPE_ACTIONS[t]}\` | ${roleFor(MESSAGE_TYPE_ACTIONS[t]!)} |`),
      `| every other type | \`message.send\` | ${roleFor("message.send")} |`,
    ]);
    expect(block("message-types")).toEqual(expected);
  });

  test("the sign-in backoff and hashing numbers are the code's", () => {
    const human = (ms: number) => (ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`);
    const table = cells(DOC);
    const row = (who: string, r: BackoffRule) => {
      const found = table.find((c) => c[0] === who);
      expect(found, who).toBeDefined();
      expect([found![1], found![2]!.slice(0, 8), found![3]], who).toEqual([
        String(r.free),
        `${r.baseMs / 1000} s, ${(2 * r.baseMs) / 1000} s`,
        human(r.capMs),
      ]);
    };
    row("user name and client", LOGIN_POLICY.pair);
    row("client, across user names", LOGIN_POLICY.client);
    row("user name, across all clients", LOGIN_POLICY.user);
    expect(DOC).toContain(`forgotten ${LOGIN_POLICY.windowMs / 60_000} minutes after the last failure`);
    const { N, r, p } = SCRYPT_PARAMS;
    expect(DOC).toContain(`N=2^${Math.log2(N)}, r=${r}, p=${p}`);
    expect(DOC).toContain(`${(128 * N * r) / 2 ** 20} MiB`);
    expect(DOC).toContain(`computes at most ${HASH_CONCURRENCY} at once`);
    expect(DOC).toContain(`at most ${HASH_WAIT_MS / 1000} s`);
  });
});
