import type { Command } from "commander";
import {
  broadcast,
  CoreError,
  drain,
  inboxView,
  MESSAGE_TYPES,
  receive,
  resolveMailbox,
  sendMessageWaking,
  type Message,
  type MessageType,
  type Priority,
} from "@tinytown/core";
import type { Ctx } from "../context";
import { int, oneOf, seconds } from "../options";
import { ago, cell, stateColour, table } from "../output";

export function registerMessageCommands(program: Command, ctx: Ctx) {
  const { paint } = ctx;

  program
    .command("send <to> [message...]")
    .description("send a message to an agent (or supervisor); urgent interrupts a working agent")
    .option("--urgent", "urgent: read first, and interrupts the agent's current run")
    .option("--high", "high priority")
    .option("--low", "low priority")
    .option("-t, --type <type>", `message type (${MESSAGE_TYPES.join(", ")})`, oneOf(MESSAGE_TYPES, "message type"))
    .option("--all", 'broadcast to every agent: tt send --all "hello everyone"')
    .action(
      async (
        to: string,
        words: string[],
        o: { urgent?: boolean; high?: boolean; low?: boolean; type?: MessageType; all?: boolean },
      ) => {
        const flags = [o.urgent && "urgent", o.high && "high", o.low && "low"].filter(Boolean) as Priority[];
        if (flags.length > 1) throw new CoreError("VALIDATION", "choose one of --urgent, --high, --low");
        // With --all there is no recipient: every word is the message.
        const body = (o.all ? [to, ...words] : words).join(" ");
        if (!o.all && words.length === 0)
          throw new CoreError("VALIDATION", `what should ${to} be told? tt send ${to} "<message>"`);
        const town = await ctx.town();
        const from = ctx.io.env.TT_AGENT ?? "supervisor";
        const input = { from, type: o.type ?? "info", priority: flags[0] ?? "normal", body };
        if (o.all) {
          const sent = await broadcast(town, input);
          return ctx.emit(sent, () => `${paint("green", "✓")} sent to ${sent.length} agent(s)\n`);
        }
        const { message: m } = await sendMessageWaking(town, { ...input, to });
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
    .description("an agent's inbox (or supervisor's) in the order it will be read, and what its running task holds")
    .option("--take", "take the messages out of the inbox")
    .option(
      "-w, --wait <seconds>",
      "with --take: wait this long for a message if the inbox is empty",
      seconds({ max: 24 * 3600 }),
    )
    .option("-n, --limit <n>", "how many (1-1000)", int({ min: 1, max: 1000 }), 50)
    .action(async (ref: string, o: { take?: boolean; wait?: number; limit: number }) => {
      if (o.wait !== undefined && !o.take) throw new CoreError("VALIDATION", "--wait only goes with --take");
      const town = await ctx.town();
      if (o.take) {
        const box = await resolveMailbox(town, ref);
        let msgs = await drain(town, box.id, o.limit);
        if (msgs.length === 0 && o.wait) {
          const m = await receive(town, box.id, o.wait * 1000);
          msgs = m ? [m] : [];
        }
        return ctx.emit(msgs, () => (msgs.length ? rows(msgs) : `${box.name}'s inbox is empty\n`));
      }
      const view = await inboxView(town, ref, { limit: o.limit });
      const held = view.inflight;
      ctx.emit(view, () => {
        const out: string[] = [];
        if (held.run && held.messages.length > 0) {
          out.push(
            paint(
              "cyan",
              `${held.messages.length} message(s) in the prompt of running task ${held.run.taskId.slice(0, 8)} ` +
                `(attempt ${held.run.attempt}); they come back here if that run is cut:`,
            ) + "\n",
            rows(held.messages),
            "\n",
          );
        }
        if (view.messages.length === 0) out.push(`${view.mailbox.name}'s inbox is empty\n`);
        else {
          if (out.length) out.push(paint("bold", "waiting:") + "\n");
          out.push(rows(view.messages));
        }
        const more = view.total - view.messages.length;
        if (more > 0) out.push(paint("dim", `… and ${more} more: tt inbox ${ref} -n ${Math.min(1000, view.total)}\n`));
        if (view.droppedReports > 0)
          out.push(
            paint(
              "dim",
              `${view.droppedReports} older task_done report(s) were dropped (supervisor.keepTaskDone keeps the newest); ` +
                "`tt tasks --state completed` lists every completed task\n",
            ),
          );
        return out.join("");
      });
    });

  function rows(msgs: Message[]): string {
    return table(
      msgs.map((m) => [
        paint(stateColour(m.priority), m.priority),
        m.type,
        cell(m.from, 20),
        ago(m.createdAt),
        cell(m.body, 80) + forwarded(m),
      ]),
      ["PRIORITY", "TYPE", "FROM", "SENT", "MESSAGE"],
      paint,
    );
  }

  function forwarded(m: Message): string {
    const f = m.data?.forwardedFrom as { name?: string } | undefined;
    return f?.name ? paint("dim", ` (for ${cell(f.name, 64)}, removed)`) : "";
  }
}
