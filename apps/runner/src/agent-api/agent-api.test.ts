/**
 * Agents get least privilege (issue 9, finding 3): an agent process gets an allow-listed environment and a
 * per-run credential for the runner's agent API — no runner secret, no Redis URL — and `tt` on its PATH without
 * any global install. With it the agent can report on its own task, send messages and read its own inbox, and
 * nothing else; the credential dies with the run. Real runner, real Redis, real processes.
 */
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { delimiter, join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import {
  addUser,
  createTask,
  findAgent,
  getTask,
  listTokens,
  listUsers,
  peek,
  readEvents,
  spawnAgent,
  type Task,
} from "@tinytown/core";
import { testRedisUrl } from "@tinytown/core/testing";
import { fixtureModel, fixtureTown, readJsonl, waitFor, type FixtureTown } from "../../test/helpers";
import { startRunner, type RunnerHandle } from "../runner";

const SECRETS = {
  AWS_SECRET_ACCESS_KEY: "runner-aws-secret-do-not-leak",
  TT_TEST_SECRET: "runner-test-secret-do-not-leak",
  REDIS_URL: testRedisUrl(),
  TT_TOWN_DIR: "/somewhere/else",
};

let cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** Sets runner environment variables for one test. */
function runnerEnv(vars: Record<string, string>): void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  cleanups.push(() => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

async function setup(): Promise<FixtureTown & { runner: RunnerHandle }> {
  const ft = await fixtureTown({
    models: (fx) => ({ reporter: fixtureModel(fx, "agent-tt.mjs", { passEnv: ["FIXTURE_PASS_*"] }) }),
  });
  cleanups.push(() => ft.town.close());
  const runner = await startRunner(ft.town, { logLevel: "silent", heartbeatMs: 300, reconcileMs: 500 });
  cleanups.push(() => runner.stop(0));
  return { ...ft, runner };
}

const tt = (...argv: string[]) => `tt ${JSON.stringify(argv)}`;
const api = (op: string, body: unknown) => `api ${op} ${JSON.stringify(body)}`;

interface Step {
  step?: "tt" | "api";
  argv?: string[];
  code?: number;
  out?: string;
  err?: string;
  op?: string;
  status?: number;
  body?: { data?: unknown; error?: { code: string; message: string } };
  env?: Record<string, string>;
}

async function runSteps(ft: FixtureTown, agent: string, steps: string[]): Promise<{ task: Task; log: Step[] }> {
  const created = await createTask(ft.town, {
    description: ["probe", ...steps, ""].join("\n"),
    assignTo: agent,
    by: "cli",
  });
  const task = await waitFor(
    "task settled",
    async () => {
      const t = await getTask(ft.town, created.id);
      return ["completed", "failed", "cancelled"].includes(t.state) ? t : null;
    },
    30_000,
  );
  // The agent records each step after it ran: the last one lands after the task completed.
  const file = join(ft.fx, `agent-${task.id}.jsonl`);
  const log = await waitFor("every step recorded", () => {
    const l = readJsonl<Step>(file);
    return l.length === steps.length + 1 ? l : null;
  });
  return { task, log };
}

/** A POST to the agent API from outside the agent, with the credential it was given. */
function callApi(env: Record<string, string>, op: string, body: unknown): Promise<number> {
  const socketPath = env.TT_API!.replace(/^unix:/, "");
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method: "POST",
        path: `/v1/${op}`,
        headers: { authorization: `Bearer ${env.TT_AGENT_TOKEN}`, "content-type": "application/json" },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

/** A PATH for the runner without any directory holding a `tt` (this machine may have one installed globally). */
function pathWithoutTt(): string {
  return ["/usr/bin", "/bin"].filter((d) => !existsSync(join(d, "tt"))).join(delimiter);
}

describe("agents get least privilege", () => {
  test("an agent's environment: the allow-list, its model's passEnv and its credential; no runner secret, no Redis URL; tt on PATH", async () => {
    runnerEnv({ ...SECRETS, FIXTURE_PASS_ME: "declared by the model", PATH: pathWithoutTt() });
    const ft = await setup();
    await spawnAgent(ft.town, { name: "reporter", model: "reporter", by: "cli" });
    const { task, log } = await runSteps(ft, "reporter", [
      api("task.show", {}),
      tt("task", "complete", "--result", "reported through tt"),
    ]);
    const env = log[0]!.env!;
    for (const name of Object.keys(SECRETS)) expect(env[name], name).toBeUndefined();
    expect(env.FIXTURE_PASS_ME).toBe("declared by the model");
    expect(env).toMatchObject({ TT_AGENT: "reporter", TT_TASK: task.id, TT_TOWN: ft.town.name });
    expect(env.TT_API).toMatch(/^unix:\//);
    expect(env.TT_AGENT_TOKEN).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // `tt` comes from the launcher the runner wrote in the state dir; the runner's PATH has none.
    const ttDir = env.PATH!.split(delimiter)[0]!;
    expect(ttDir).toBe(join(ft.dir, ".tt", "bin"));
    expect(readFileSync(join(ttDir, "tt"), "utf8")).toContain("apps/cli/bin/tt.mjs");
    expect(log[1]).toMatchObject({ step: "api", op: "task.show", status: 200 });
    expect(log[2]).toMatchObject({ step: "tt", code: 0 });
    expect(task).toMatchObject({ state: "completed", result: "reported through tt", updatedBy: "reporter" });
    // The run ended: its credential is refused from then on.
    expect(await callApi(env, "task.show", {})).toBe(401);
    expect(await callApi(env, "task.complete", { result: "again" })).toBe(401);
  });

  test("tt inside an agent: show, send, inbox and complete work; users, roles, tokens, other tasks and agents are refused and unchanged", async () => {
    const ft = await setup();
    await addUser(ft.town, { name: "oscar", role: "operator", password: "correct horse battery", by: "test" });
    const bystander = await spawnAgent(ft.town, { name: "bystander", model: "ok", by: "cli" });
    await waitFor("bystander idle", async () => (await findAgent(ft.town, bystander.id))?.state === "idle");
    const other = await createTask(ft.town, { description: "someone else's task", by: "cli" });
    const other2 = await createTask(ft.town, { description: "another task", by: "cli" });
    await spawnAgent(ft.town, { name: "reporter", model: "reporter", by: "cli" });

    const { task, log } = await runSteps(ft, "reporter", [
      tt("--json", "task", "show"),
      tt("send", "supervisor", "hello from the agent"),
      tt("send", "reporter", "note to self"),
      tt("inbox"),
      tt("--json", "inbox", "--take"),
      tt("--json", "inbox", "--take", "--wait", "0.3"),
      // Refused: exit 7, nothing changed.
      tt("user", "add", "mallory", "--role", "admin", "--password-stdin"),
      tt("user", "role", "oscar", "admin"),
      tt("token", "create", "agent-token"),
      tt("task", "complete", other.id, "--result", "not mine"),
      tt("task", "fail", other2.id, "--error", "not mine"),
      tt("task", "cancel", other.id),
      tt("kill", "bystander"),
      tt("spawn", "evil", "--model", "sim"),
      tt("assign", "bystander", "do something"),
      tt("send", "bystander", "--type", "shutdown", "stop"),
      tt("inbox", "bystander"),
      // The same, straight at the API with the credential.
      api("task.complete", { task: other.id, result: "not mine" }),
      api("task.show", { task: other.id }),
      api("message.send", { to: "bystander", body: "stop", type: "shutdown" }),
      api("user.add", { name: "mallory", role: "admin" }),
      tt("task", "complete", "--result", "done"),
    ]);
    const steps = log.slice(1);
    const at = (i: number) => steps[i]!;
    expect(at(0)).toMatchObject({ code: 0 });
    expect(JSON.parse(at(0).out!)).toMatchObject({ id: task.id, state: "running" });
    expect(at(1)).toMatchObject({ code: 0 });
    expect(at(1).out).toContain("message to supervisor");
    expect(at(2)).toMatchObject({ code: 0 });
    expect(at(3)).toMatchObject({ code: 0 });
    expect(at(3).out).toContain("note to self");
    expect(JSON.parse(at(4).out!)).toEqual([expect.objectContaining({ from: "reporter", body: "note to self" })]);
    expect(at(5)).toMatchObject({ code: 0 });
    expect(JSON.parse(at(5).out!)).toEqual([]);
    for (let i = 6; i <= 16; i++) {
      expect(at(i), at(i).argv!.join(" ")).toMatchObject({ code: 7 });
      expect(at(i).err).toMatch(/agents may only|own task|own inbox|cannot send shutdown/);
    }
    expect(at(6).err).toContain(
      "agents may only report on their task, send messages, read their inbox and ask a human",
    );
    expect(at(17)).toMatchObject({ status: 403, body: { error: { code: "FORBIDDEN" } } });
    expect(at(18)).toMatchObject({ status: 403 });
    expect(at(19)).toMatchObject({ status: 403 });
    expect(at(20)).toMatchObject({ status: 404 });
    expect(at(21)).toMatchObject({ code: 0 });

    expect(task).toMatchObject({ state: "completed", result: "done", updatedBy: "reporter" });
    expect(await peek(ft.town, "supervisor")).toEqual(
      expect.arrayContaining([expect.objectContaining({ from: "reporter", body: "hello from the agent" })]),
    );
    expect((await listUsers(ft.town)).map((u) => [u.name, u.role])).toEqual([["oscar", "operator"]]);
    expect(await listTokens(ft.town)).toEqual([]);
    expect(await getTask(ft.town, other.id)).toMatchObject({ state: "pending", version: other.version });
    expect(await getTask(ft.town, other2.id)).toMatchObject({ state: "pending", version: other2.version });
    expect(await findAgent(ft.town, bystander.id)).toMatchObject({ state: "idle" });
    expect(await findAgent(ft.town, "evil")).toBeNull();
    expect(await peek(ft.town, bystander.id)).toEqual([]);
    // Everything the agent did: its messages and its own task's completion.
    const mine = (await readEvents(ft.town, { count: 10_000 })).filter((e) => e.by === "reporter");
    expect(new Set(mine.map((e) => e.type))).toEqual(new Set(["message.sent", "task.completed"]));
    expect(mine.filter((e) => e.type === "task.completed").map((e) => e.taskId)).toEqual([task.id]);
  });
});
