import type { Command } from "commander";
import {
  agentRateLimits,
  agentHasWork,
  closeAgent,
  CoreError,
  followEvents,
  lastEventId,
  interruptAgent,
  listAgents,
  listRunners,
  modelAvailability,
  pruneAgents,
  resolveAgent,
  restartAgent,
  resumeAgent,
  spawnAgent,
  stopAgent,
  AGENT_STATES,
  MODEL_PRESETS,
  type Agent,
  type Town,
} from "@tinytown/core";
import type { Ctx } from "../context";
import { oneOf, seconds } from "../options";
import { ago, cell, stateColour, table } from "../output";

export function registerAgentCommands(program: Command, ctx: Ctx) {
  const { paint } = ctx;
  const show = (a: Agent, verb: string) =>
    ctx.emit(
      a,
      () =>
        `${paint("green", "✓")} ${verb} ${paint("bold", a.name)} (${a.id.slice(0, 8)}): ${paint(stateColour(a.state), a.state)}\n`,
    );

  program
    .command("spawn <name>")
    .description("create an agent that runs a model's CLI (see `tt models`)")
    .requiredOption(
      "-m, --model <model>",
      "claude, codex, auggie, aider, gemini, copilot, cursor, sim, or a custom model from tinytown.json",
    )
    .action(async (name: string, o: { model: string }) => {
      const town = await ctx.town();
      const a = await spawnAgent(town, { name, model: o.model, by: ctx.actor });
      const model = await modelAvailability(town, a.model);
      ctx.emit({ ...a, modelAvailability: model }, () => {
        const lines = [
          `${paint("green", "✓")} spawned ${paint("bold", a.name)} (${a.id.slice(0, 8)}): ${paint(stateColour(a.state), a.state)}`,
        ];
        if (model.hint) lines.push(paint("yellow", `  warning: ${model.hint}; until then its tasks fail`));
        if (model.runners.alive === 0)
          lines.push(paint("dim", `  it stays "starting" until a runner picks it up: run \`tt up\``));
        if (model.kind === "simulated")
          lines.push(paint("dim", "  model sim is simulated: it shows the flow without an AI CLI"));
        return lines.join("\n") + "\n";
      });
    });

  program
    .command("list")
    .alias("agents")
    .description("the town's agents")
    .option(
      "-s, --state <state>",
      `only agents in this state (${AGENT_STATES.join(", ")})`,
      oneOf(AGENT_STATES, "agent state"),
    )
    .action(async (o: { state?: (typeof AGENT_STATES)[number] }) => {
      const town = await ctx.town();
      const [agents, limited] = await Promise.all([listAgents(town, { state: o.state }), agentRateLimits(town)]);
      const rows = agents.map((a) => (limited.has(a.id) ? { ...a, rateLimitedUntil: limited.get(a.id)! } : a));
      const note = (id: string) => {
        const until = limited.get(id);
        return until ? paint("yellow", `rate-limited until ${new Date(until).toISOString().slice(11, 16)} UTC`) : "";
      };
      ctx.emit(rows, () =>
        agents.length === 0
          ? "no agents yet: tt spawn worker-1 --model sim\n"
          : table(
              agents.map((a) => [
                paint("bold", a.name),
                a.id.slice(0, 8),
                a.model + (MODEL_PRESETS[a.model]?.kind === "simulated" ? paint("dim", " (simulated)") : ""),
                paint(stateColour(a.state), a.state),
                a.currentTask ? a.currentTask.slice(0, 8) : "-",
                `${a.tasksCompleted}/${a.tasksFailed}`,
                ago(a.lastHeartbeat),
                a.error ? cell(a.error, 50) : note(a.id),
              ]),
              ["NAME", "ID", "MODEL", "STATE", "TASK", "DONE/FAILED", "HEARTBEAT", "NOTE"],
              paint,
            ),
      );
    });

  program
    .command("kill <agent>")
    .description("stop an agent now; its unfinished tasks go back to the backlog (or --cancel-tasks)")
    .option("--cancel-tasks", "cancel its unfinished tasks instead of requeueing them")
    .action(async (ref: string, o: { cancelTasks?: boolean }) => {
      const town = await ctx.town();
      const { agent, tasks } = await stopAgent(town, ref, {
        tasks: o.cancelTasks ? "cancel" : "requeue",
        by: ctx.actor,
      });
      ctx.emit(
        { agent, tasks },
        () =>
          `${paint("green", "✓")} killed ${paint("bold", agent.name)}` +
          (tasks.length
            ? `; ${tasks.length} task(s) ${o.cancelTasks ? "cancelled" : "back in the backlog"}: ${tasks.map((t) => t.id.slice(0, 8)).join(", ")}`
            : "") +
          "\n",
      );
    });

  program
    .command("interrupt <agent>")
    .description("pause an agent: it takes no new work (--now also stops the current run and requeues it)")
    .option("--now", "stop the current run too; its task goes back to the front of the agent's queue")
    .action(async (ref: string, o: { now?: boolean }) =>
      show(await interruptAgent(await ctx.town(), ref, ctx.actor, { now: o.now }), "paused"),
    );

  program
    .command("resume <agent>")
    .description("let a paused agent take work again")
    .action(async (ref: string) => show(await resumeAgent(await ctx.town(), ref, ctx.actor), "resumed"));

  program
    .command("close <agent>")
    .description("let an agent finish its current task, then stop")
    .action(async (ref: string) => show(await closeAgent(await ctx.town(), ref, ctx.actor), "closing"));

  program
    .command("restart <agent>")
    .description("bring a stopped or failed agent back (to starting, until a runner picks it up)")
    .action(async (ref: string) => show(await restartAgent(await ctx.town(), ref, ctx.actor), "restarted"));

  program
    .command("prune")
    .description("remove stopped agents (tasks stay as history)")
    .option("--errors", "also remove agents in error")
    .action(async (o: { errors?: boolean }) => {
      const removed = await pruneAgents(await ctx.town(), { includeErrors: o.errors, by: ctx.actor });
      ctx.emit(removed, () => {
        if (!removed.length) return "nothing to prune\n";
        const lines = [`${paint("green", "✓")} removed ${removed.map((a) => a.name).join(", ")}`];
        // Unread messages are never deleted with their agent: say where they went.
        for (const a of removed.filter((r) => r.movedMessages > 0))
          lines.push(
            `  moved ${a.movedMessages} unread message(s) of ${a.name} to the supervisor mailbox: tt inbox supervisor`,
          );
        return lines.join("\n") + "\n";
      });
    });

  program
    .command("wait <agent>")
    .description("wait until an agent has no task assigned or running (it is idle again)")
    .option("-t, --timeout <seconds>", "give up after this many seconds (exit 6)", seconds({ max: 7 * 24 * 3600 }))
    .action(async (ref: string, o: { timeout?: number }) => {
      const town = await ctx.town();
      const timeoutMs = o.timeout === undefined ? Infinity : o.timeout * 1000;
      const agent = await waitIdle(town, ref, timeoutMs, ctx);
      if (ctx.exitCode !== undefined) return;
      if (agent.state === "error" || agent.state === "stopped") {
        // It will never take work again by itself: that is not the idle the caller waited for.
        throw new CoreError(
          "INVALID_STATE",
          `${agent.name} is ${agent.state}${agent.error ? `: ${agent.error}` : ""}; it takes no work until \`tt restart ${agent.name}\``,
          { state: agent.state, agent },
        );
      }
      ctx.emit(
        agent,
        () =>
          `${paint("green", "✓")} ${agent.name} is ${paint(stateColour(agent.state), agent.state)} (${agent.tasksCompleted} done, ${agent.tasksFailed} failed)\n`,
      );
    });
}

/** Follows events (no polling) until the agent is idle with nothing queued, or the timeout passes. */
async function waitIdle(town: Town, ref: string, timeoutMs: number, ctx: Ctx): Promise<Agent> {
  const start = await resolveAgent(town, ref);
  const abort = new AbortController();
  const timer = Number.isFinite(timeoutMs) ? setTimeout(() => abort.abort(), timeoutMs) : null;
  const offStop = ctx.onStop(() => abort.abort());
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let frame = 0;
  const spin =
    ctx.io.isTTY && !ctx.opts().json
      ? setInterval(() => ctx.io.err(`\r${frames[frame++ % frames.length]} waiting for ${start.name}…`), 100)
      : null;
  try {
    if (!(await listRunners(town)).some((r) => r.alive) && !ctx.opts().json) {
      ctx.io.err(ctx.paint("yellow", "no runner is running, so nothing will change: start one with `tt up`\n"));
    }
    // Take the cursor before checking, so a change between the check and the first read is not missed.
    const events = followEvents(town, { signal: abort.signal, blockMs: 1000, after: await lastEventId(town) });
    let agent = start;
    if (!(await agentHasWork(town, agent))) return agent;
    for await (const ev of events) {
      if (ev.agentId !== agent.id) continue;
      agent = await resolveAgent(town, agent.id);
      if (!(await agentHasWork(town, agent))) return agent;
    }
    if (ctx.exitCode !== undefined) return agent;
    throw new CoreError("TIMEOUT", `${start.name} is still busy after ${timeoutMs / 1000} s`);
  } finally {
    offStop();
    if (timer) clearTimeout(timer);
    if (spin) {
      clearInterval(spin);
      ctx.io.err("\r\u001b[K");
    }
    abort.abort();
  }
}
