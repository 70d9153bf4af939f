/** The runner's environment and arguments, parsed in one place. */
import { resolve } from "node:path";
import { z } from "zod";

const Env = z.object({
  TT_TOWN_DIR: z.string().min(1).optional(),
  REDIS_URL: z.string().min(1).optional(),
  TT_TOWN: z.string().min(1).optional(),
  /** A fixed runner id (default: host-pid-random). */
  TT_RUNNER_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, "TT_RUNNER_ID is 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'")
    .optional(),
  TT_LOG: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
});

export interface RunnerEnv {
  townDir: string | undefined;
  redisUrl: string | undefined;
  town: string | undefined;
  runnerId: string | undefined;
  logLevel: z.infer<typeof Env>["TT_LOG"];
  help: boolean;
}

export const USAGE = `Usage: tt-runner [--town <dir>]

Runs the agents of a Tinytown town: takes their tasks from the queues and launches the agents' CLIs.

  --town <dir>   the town directory (default: TT_TOWN_DIR, or the town found from the current directory)

Environment: TT_TOWN_DIR, REDIS_URL (an external Redis), TT_RUNNER_ID, TT_LOG (debug|info|warn|error|silent).`;

export function parseEnv(argv: readonly string[], env: NodeJS.ProcessEnv): RunnerEnv {
  const r = Env.safeParse(env);
  if (!r.success)
    throw new Error(
      `invalid environment: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  let townDir = r.data.TT_TOWN_DIR;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--town" || a === "-t") {
      const v = argv[++i];
      if (!v) throw new Error("--town needs a directory");
      townDir = v;
    } else if (a.startsWith("--town=")) townDir = a.slice("--town=".length);
    else if (a === "--help" || a === "-h") help = true;
    else throw new Error(`unknown argument ${a}\n\n${USAGE}`);
  }
  return {
    townDir: townDir ? resolve(townDir) : undefined,
    redisUrl: r.data.REDIS_URL,
    town: r.data.TT_TOWN,
    runnerId: r.data.TT_RUNNER_ID,
    logLevel: r.data.TT_LOG,
    help,
  };
}
