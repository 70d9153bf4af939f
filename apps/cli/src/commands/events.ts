import type { Command } from "commander";
import { followEvents, readEvents, type TownEvent } from "@tinytown/core";
import type { Ctx } from "../context";
import { cell, stateColour } from "../output";

export function registerEventCommands(program: Command, ctx: Ctx) {
  const { paint } = ctx;
  const line = (e: TownEvent) => {
    if (ctx.opts().json) return JSON.stringify(e) + "\n";
    const what = e.taskId ? `task ${String(e.taskId).slice(0, 8)}` : e.agentId ? `agent ${typeof e.name === "string" ? e.name : String(e.agentId).slice(0, 8)}` : "";
    const change = e.from || e.to ? ` ${e.from ?? "∅"} → ${paint(stateColour(String(e.to)), String(e.to ?? ""))}` : "";
    const extra = typeof e.title === "string" ? `  ${paint("dim", cell(e.title, 60))}` : typeof e.preview === "string" ? `  ${paint("dim", cell(e.preview, 60))}` : "";
    return `${paint("gray", new Date(e.at).toISOString().slice(11, 23))} ${paint("bold", e.type.padEnd(16))} ${what}${change}  ${paint("dim", `by ${cell(e.by, 30)}`)}${extra}\n`;
  };

  program
    .command("events")
    .description("the town's event stream (every state change, who made it)")
    .option("-f, --follow", "keep printing new events")
    .option("-n, --limit <n>", "how many recent events", "50")
    .option("--after <id>", "resume after this event id")
    .action(async (o: { follow?: boolean; limit: string; after?: string }) => {
      const town = await ctx.town();
      const past = await readEvents(town, { after: o.after, count: Number(o.limit) });
      for (const e of past) ctx.io.out(line(e));
      if (!o.follow) return;
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      for await (const e of followEvents(town, { after: past.at(-1)?.id ?? o.after, signal: abort.signal })) ctx.io.out(line(e));
    });
}
