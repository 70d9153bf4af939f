/**
 * 1,000 malformed or hostile requests through the HTTP handler (wrong types, extra keys, `__proto__`, huge
 * numbers, deep JSON, 1 MB bodies, NUL, bidi controls, ANSI escapes, `<script>`, shell metacharacters): never a
 * 5xx, never a crash, always a JSON answer (nothing a browser would render as HTML), and not one key of the town
 * changes (a full dump of its keys, by SCAN, before and after). Queries are hostile too, and must also change nothing.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTask, spawnAgent } from "@tinytown/core";
import { dumpTown } from "@tinytown/core/testing";
import { httpRaw } from "../src/api";
import { Harness } from "../src/harness";
import { hostileRequests } from "../src/hostile";
import { checkInvariants } from "../src/invariants";
import { report } from "../src/report";
import { SIZE } from "../src/size";

let h: Harness;
beforeAll(async () => {
  h = await Harness.create();
});
afterAll(async () => h?.close());

test(`${SIZE.hostileInputs} malformed or hostile API inputs: no 5xx, no crash, JSON only, no state change`, async () => {
  const started = Date.now();
  const agent = await spawnAgent(h.town, { name: "target", model: "work", by: "faults" });
  const task = await createTask(h.town, { description: "a task to aim at", by: "faults" });
  h.ledger.task(task.id, ["pending"]);
  const before = await dumpTown(h.town);
  const requests = hostileRequests(SIZE.hostileInputs, 20_251_124, { taskId: task.id, agent: agent.name });
  const statuses: Record<string, number> = {};
  // Every answer should be labelled JSON (a refused content type is a JSON 415 since issue 9); counted if not.
  const notLabelledJson: Record<string, number> = {};
  const bad: string[] = [];
  let slowest = 0;
  for (const req of requests) {
    const r = await httpRaw(h.town, req.build());
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    slowest = Math.max(slowest, r.ms);
    if (!r.contentType.includes("application/json"))
      notLabelledJson[r.contentType] = (notLabelledJson[r.contentType] ?? 0) + 1;
    const problems = [
      r.status >= 500 && `status ${r.status}`,
      req.change && r.status < 400 && `a change was accepted (${r.status})`,
      /html|xml|javascript/i.test(r.contentType) && `content-type ${r.contentType}`,
      r.json === null && "body is not JSON",
      /^\s*</.test(r.text) && "body looks like HTML",
    ].filter(Boolean);
    if (problems.length) bad.push(`${req.label}: ${problems.join(", ")}: ${r.text.slice(0, 200)}`);
  }
  expect(bad, bad.slice(0, 10).join("\n")).toEqual([]);
  // Nothing was polluted and nothing changed.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty("polluted");
  expect(await dumpTown(h.town)).toEqual(before);
  const figures = await checkInvariants(h, { crashes: 0 });
  expect(notLabelledJson).toEqual({});
  report({
    scenario: "hostile API input",
    ...figures,
    inputs: requests.length,
    statuses: JSON.stringify(statuses),
    notLabelledJson: JSON.stringify(notLabelledJson),
    slowestMs: slowest,
    ms: Date.now() - started,
  });
}, 120_000);
