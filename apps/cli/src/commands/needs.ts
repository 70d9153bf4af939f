import type { Command } from "commander";
import {
  answerNeed,
  claimNeed,
  CoreError,
  dismissNeed,
  listNeeds,
  releaseNeed,
  type Need,
  type Town,
} from "@tinytown/core";
import type { Ctx } from "../context";
import { ago, cell, table } from "../output";

const KIND_LABEL: Record<Need["kind"], string> = {
  question: "question",
  budget: "budget stop",
  conflict: "conflict",
  failed: "failed",
};

/** The item an id or a unique prefix of one names (ids are long: `q:<uuid>`, `failed:<task>:<attempt>`). */
async function resolveItem(town: Town, ref: string): Promise<string> {
  const r = ref.trim();
  const { items } = await listNeeds(town, { limit: 500 });
  if (items.some((n) => n.id === r)) return r;
  const hits = items.filter((n) => n.id.startsWith(r));
  if (hits.length === 1) return hits[0]!.id;
  if (hits.length > 1)
    throw new CoreError(
      "AMBIGUOUS",
      `"${r}" names ${hits.length} items: give more of the id (\`tt needs\` lists them)`,
    );
  // Not open any more (answered elsewhere): core says so with who closed it.
  return r;
}

export function registerNeedsCommands(program: Command, ctx: Ctx) {
  const { paint } = ctx;
  const needs = program
    .command("needs")
    .description("the team's \"Needs you\" inbox: agents' questions, failed tasks, conflicts, budget stops");

  needs
    .command("list", { isDefault: true })
    .description("open items, most urgent first")
    .action(async () => {
      const page = await listNeeds(await ctx.town());
      ctx.emit(page, () =>
        page.items.length === 0
          ? "nothing needs you\n"
          : `${page.count} item(s) need you\n` +
            table(
              page.items.map((n) => [
                paint("bold", n.id.slice(0, n.id.indexOf(":") + 9)),
                paint(n.kind === "question" ? "yellow" : "red", KIND_LABEL[n.kind]),
                n.agentName ?? "-",
                ago(n.createdAt),
                n.claimedBy ? `taken by ${n.claimedBy}` : "",
                cell(n.title + (n.options.length ? `  [${n.options.join(" / ")}]` : ""), 80),
              ]),
              ["ID", "KIND", "AGENT", "WHEN", "", "WHAT"],
              paint,
            ),
      );
    });

  needs
    .command("claim <id>")
    .description('take an item ("I\'ll take it"): the others see it is yours')
    .action(async (ref: string) => {
      const town = await ctx.town();
      const n = await claimNeed(town, { id: await resolveItem(town, ref), by: ctx.actor });
      ctx.emit(n, () => `${paint("green", "✓")} you took: ${n.title.slice(0, 100)}\n`);
    });

  needs
    .command("release <id>")
    .description("give an item you took back to the team")
    .action(async (ref: string) => {
      const town = await ctx.town();
      const n = await releaseNeed(town, { id: await resolveItem(town, ref), by: ctx.actor });
      ctx.emit(n, () => `${paint("green", "✓")} released: ${n.title.slice(0, 100)}\n`);
    });

  needs
    .command("answer <id> <answer...>")
    .description("answer an item: the agent gets it (a question's task goes on; a failed task is retried with it)")
    .action(async (ref: string, words: string[]) => {
      const town = await ctx.town();
      const n = await answerNeed(town, { id: await resolveItem(town, ref), answer: words.join(" "), by: ctx.actor });
      ctx.emit(n, () => `${paint("green", "✓")} answered: ${n.title.slice(0, 100)}\n`);
    });

  needs
    .command("dismiss <id>")
    .description("close an item without an answer")
    .action(async (ref: string) => {
      const town = await ctx.town();
      const n = await dismissNeed(town, { id: await resolveItem(town, ref), by: ctx.actor });
      ctx.emit(n, () => `${paint("green", "✓")} dismissed: ${n.title.slice(0, 100)}\n`);
    });
}
