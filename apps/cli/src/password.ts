/**
 * Reading a password for `tt user add` and `tt user passwd`: from stdin with --password-stdin (or whenever stdin is
 * not a terminal), otherwise prompted on the terminal without echo, twice.
 */
import { CoreError } from "@tinytown/core";
import type { Ctx } from "./context";

/** Reads all of stdin; the password is its first line. Tests inject `io.stdin`. */
async function readStdin(ctx: Ctx): Promise<string> {
  if (ctx.io.stdin) return ctx.io.stdin();
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function prompt(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = "";
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString("utf8")) {
        if (ch === "\r" || ch === "\n") {
          done();
          process.stderr.write("\n");
          return resolve(value);
        }
        if (ch === "\u0003") {
          done();
          return reject(new CoreError("VALIDATION", "cancelled"));
        }
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = () => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on("data", onData);
  });
}

export async function readPassword(
  ctx: Ctx,
  opts: {
    stdin?: boolean;
    confirm?: boolean;
    /** The question on a terminal. */
    prompt?: string;
    /** The command that reads stdin, for the hint when stdin is empty. */
    example: string;
  },
): Promise<string> {
  if (opts.stdin || ctx.io.stdin || !process.stdin.isTTY) {
    const line = (await readStdin(ctx)).split(/\r?\n/)[0] ?? "";
    if (!line)
      throw new CoreError(
        "VALIDATION",
        `no password on stdin: pipe it in, e.g. \`printf '%s\\n' "$PW" | ${opts.example}\``,
      );
    return line;
  }
  const first = await prompt(opts.prompt ?? "Password: ");
  if (opts.confirm && (await prompt("Again: ")) !== first)
    throw new CoreError("VALIDATION", "the passwords do not match; nothing was changed");
  return first;
}
