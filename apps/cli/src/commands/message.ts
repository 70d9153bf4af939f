import type { Command } from "commander";
import {
  broadcast,
  CoreError,
  drain,
  MessageType,
  peek,
  receive,
  resolveMailbox,
  sendMessage,
  type Message,
  type Priority,
} from "@tinytown/core";
import type { Ctx } from "../context";
import { ago, cell, stateColour, table } from "../output";

export function registerMessageCommands(program: Command, ctx: Ctx) {
  const { paint } = ctx;

  program
    .command("send <to> <message...>")
    .description("send a message to an agent (or supervisor); urgent interrupts a working agent")
    .option("--urgent", "urgent: read first, and interrupts the agent's current run")
    .option("--high", "high priority")
    .option("--low", "low priority")
    .option("-t, --type <type>", `message type (${MessageType.options.join(", ")})`, "info")
    .option("--all", "broadcast to every agent (then <to> is part of the message)")
    .action(
      async (
        to: string,
        words: string[],
        o: { urgent?: boolean; high?: boolean; low?: boolean; type: string; all?: boolean },
      ) => {
        const flags = [o.urgent && "urgent", o.high && "high", o.low && "low"].filter(Boolean) as Priority[];
        if (flags.length > 1) throw new CoreError("VALIDATION", "choose one of --urgent, --high, --low");
        const type = MessageType.safeParse(o.type);
        if (!type.success)
          throw new CoreError(
            "VALIDATION",
            `unknown message type "${o.type}": use one of ${MessageType.options.join(", ")}`,
          );
        const town = await ctx.town();
        const from = ctx.io.env.TT_AGENT ?? "supervisor";
        const input = {
          from,
          type: type.data,
          priority: flags[0] ?? "normal",
          body: (o.all ? [to, ...words] : words).join(" "),
        };
        if (o.all) {
          const sent = await broadcast(town, input);
          return ctx.emit(sent, () => `${paint("green", "✓")} sent to ${sent.length} agent(s)\n`);
        }
        const m = await sendMessage(town, { ...input, to });
        const box = await resolveMailbox(town, to);
        ctx.emit(
          m,
          () =>
            `${paint("green", "✓")} ${paint(stateColour(m.priority), m.priority)} ${m.type} message to ${box.name}\n`,
        );
      },
    );

  program
    .command("inbox <agent>")
    .description("an agent's inbox (or supervisor's) in the order it will be read")
    .option("--take", "take the messages out of the inbox")
    .option("-w, --wait <seconds>", "with --take: wait this long for a message if the inbox is empty")
    .option("-n, --limit <n>", "how many", "50")
    .action(async (ref: string, o: { take?: boolean; wait?: string; limit: string }) => {
      const town = await ctx.town();
      const box = await resolveMailbox(town, ref);
      let msgs: Message[];
      if (o.take) {
        msgs = await drain(town, box.id, Number(o.limit));
        if (msgs.length === 0 && o.wait) {
          const m = await receive(town, box.id, Number(o.wait) * 1000);
          msgs = m ? [m] : [];
        }
      } else msgs = await peek(town, box.id, Number(o.limit));
      ctx.emit(msgs, () =>
        msgs.length === 0
          ? `${box.name}'s inbox is empty\n`
          : table(
              msgs.map((m) => [
                paint(stateColour(m.priority), m.priority),
                m.type,
                cell(m.from, 20),
                ago(m.createdAt),
                cell(m.body, 80),
              ]),
              ["PRIORITY", "TYPE", "FROM", "SENT", "MESSAGE"],
              paint,
            ),
      );
    });
}
