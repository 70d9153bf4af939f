/** Boot: parse arguments, connect to the town, serve stdio (default) or HTTP, stop cleanly on SIGINT/SIGTERM or when stdin ends. */
import { constants, userInfo } from "node:os";

import { connectTown, toCoreError, type Town } from "@tinytown/core";

import { AgentClient } from "@tinytown/core/agent-api/client";

import { serveAgentStdio } from "./agent-server";
import { stdioAccess } from "./auth";
import { parseEnv, USAGE } from "./env";
import { startHttpServer } from "./http";
import { serveStdio } from "./stdio";

const log = (line: string) => process.stderr.write(`tt-mcp: ${line}\n`);

/** Runs the server; resolves to an exit code when it is done (stdio: the client went away; either: SIGINT/SIGTERM). */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseEnv(argv, env);
  } catch (err) {
    log((err as Error).message);
    return 2;
  }
  if (parsed.help) {
    process.stderr.write(USAGE + "\n");
    return 0;
  }
  // Inside an agent run: the agent tools over the runner's agent API, never a town connection.
  let agent: AgentClient | null;
  try {
    agent = AgentClient.fromEnv(env);
  } catch (err) {
    log((err as Error).message);
    return 2;
  }
  if (agent) {
    const stdio = await serveAgentStdio(agent);
    log("serving the agent tools (ask_human) of this run over stdio");
    await Promise.race([stdio.closed, signalled()]);
    await stdio.close();
    return 0;
  }
  let town: Town | null = null;
  try {
    town = await connectTown({ env: { ...env, TT_TOWN_DIR: parsed.townDir } });
    let stop: () => Promise<void>;
    let done: Promise<NodeJS.Signals | void>;
    if (parsed.transport === "http") {
      const http = await startHttpServer({ town, host: parsed.host, port: parsed.port });
      log(`serving town ${town.name} over Streamable HTTP at ${http.url}`);
      log(
        http.exposed
          ? "listening beyond loopback: every request needs `Authorization: Bearer <token>`"
          : "requests need `Authorization: Bearer <token>` once the town has users; until then loopback access is open",
      );
      stop = () => http.close();
      done = signalled();
    } else {
      const access = await stdioAccess(town, { token: parsed.token, actor: parsed.actor ?? osUser() });
      const stdio = await serveStdio(town, access.principal);
      log(`serving town ${town.name} over stdio; ${access.describe}`);
      stop = () => stdio.close();
      done = Promise.race([stdio.closed, signalled()]);
    }
    const signal = await done;
    if (typeof signal === "string") log(`${signal}: stopping`);
    await stop();
    // Like the runner: a signal ends the process with 128 + its number; the client closing stdio is a normal end.
    return typeof signal === "string" ? 128 + constants.signals[signal] : 0;
  } catch (err) {
    log(toCoreError(err).message);
    return 1;
  } finally {
    await town?.close().catch(() => undefined);
  }
}

function signalled(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, () => resolve(s));
  });
}

function osUser(): string {
  try {
    return userInfo().username || "mcp";
  } catch {
    return "mcp";
  }
}
