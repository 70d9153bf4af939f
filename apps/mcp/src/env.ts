/** The MCP server's arguments and environment, parsed in one place. */
import { resolve } from "node:path";
import { z } from "zod";

const Env = z.object({
  TT_TOWN_DIR: z.string().min(1).optional(),
  REDIS_URL: z.string().min(1).optional(),
  TT_TOWN: z.string().min(1).optional(),
  /** An API token (`tt token create <name> --role <role>`): who the stdio server acts as. */
  TT_TOKEN: z.string().min(1).optional(),
  /** Who changes are attributed to with open access (stdio on a town without users); default: the OS user. */
  TT_ACTOR: z.string().trim().min(1).max(64).optional(),
});

export const DEFAULT_PORT = 7421;
export const DEFAULT_HOST = "127.0.0.1";

export interface McpEnv {
  transport: "stdio" | "http";
  host: string;
  port: number;
  townDir: string | undefined;
  token: string | undefined;
  actor: string | undefined;
  help: boolean;
}

export const USAGE = `Usage: tt-mcp [--town <dir>] [--http [--port <n>] [--host <addr>]]

An MCP server that lets an AI client drive a Tinytown town (agents, tasks, messages, events), with the town's
users, roles and API tokens.

  --town <dir>    the town directory (default: TT_TOWN_DIR, or the town found from the current directory)
  --http          serve Streamable HTTP on http://<host>:<port>/mcp instead of stdio
  --port <n>      HTTP port (default ${DEFAULT_PORT}; 0 picks a free one)
  --host <addr>   HTTP address (default ${DEFAULT_HOST}); beyond loopback every request needs a token

Auth: over HTTP send \`Authorization: Bearer tt_…\` (required once the town has users, or when listening beyond
loopback). Over stdio set TT_TOKEN (required once the town has users); without users stdio is open on this machine.

Environment: TT_TOWN_DIR, REDIS_URL (+ TT_TOWN without a town directory), TT_TOKEN, TT_ACTOR.`;

/** Parses argv and the environment; throws an Error whose message says what is wrong. */
export function parseEnv(argv: readonly string[], env: NodeJS.ProcessEnv): McpEnv {
  const r = Env.safeParse(env);
  if (!r.success)
    throw new Error(
      `invalid environment: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const out: McpEnv = {
    transport: "stdio",
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    townDir: r.data.TT_TOWN_DIR,
    token: r.data.TT_TOKEN,
    actor: r.data.TT_ACTOR,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf("=");
    const [flag, inline] = arg.startsWith("--") && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const value = (what: string): string => {
      const v = inline ?? argv[++i];
      if (!v) throw new Error(`${flag} needs ${what}\n\n${USAGE}`);
      return v;
    };
    if (flag === "--town" || flag === "-t") out.townDir = value("a directory");
    else if (flag === "--http") out.transport = "http";
    else if (flag === "--stdio") out.transport = "stdio";
    else if (flag === "--host") out.host = value("an address");
    else if (flag === "--port") {
      const v = value("a number");
      const port = Number(v);
      if (!/^\d+$/.test(v) || port > 65535)
        throw new Error(`--port must be a number from 0 to 65535, not ${JSON.stringify(v)}`);
      out.port = port;
    } else if (flag === "--help" || flag === "-h") out.help = true;
    else throw new Error(`unknown argument ${arg}\n\n${USAGE}`);
  }
  if (out.townDir) out.townDir = resolve(out.townDir);
  return out;
}
