import { userInfo } from "node:os";
import { resolve } from "node:path";
import { connectTown, type Town } from "@tinytown/core";
import { painter, type IO } from "./output";

export interface GlobalOptions {
  town?: string;
  json?: boolean;
}

/** What every command gets: output, the global options, and the town (connected on first use). */
export interface Ctx {
  io: IO;
  paint: ReturnType<typeof painter>;
  opts: () => GlobalOptions;
  /** Who is acting: the agent inside an agent process, else the user. */
  actor: string;
  town(): Promise<Town>;
  /** Prints `data` as JSON with --json, otherwise calls `human`. */
  emit(data: unknown, human: () => string): void;
  close(): Promise<void>;
}

export function createCtx(io: IO, opts: () => GlobalOptions): Ctx {
  let town: Promise<Town> | null = null;
  const actor = io.env.TT_AGENT ?? io.env.TT_ACTOR ?? safeUser();
  return {
    io,
    paint: painter(io),
    opts,
    actor,
    town() {
      const dir = opts().town;
      town ??= connectTown({
        cwd: dir ? resolve(io.cwd, dir) : io.cwd,
        env: dir ? { ...io.env, TT_TOWN_DIR: resolve(io.cwd, dir) } : io.env,
      });
      return town;
    },
    emit(data, human) {
      if (opts().json) io.out(JSON.stringify(data, null, 2) + "\n");
      else io.out(human());
    },
    async close() {
      if (town) await (await town.catch(() => null))?.close();
    },
  };
}

function safeUser(): string {
  try {
    return userInfo().username || "cli";
  } catch {
    return "cli";
  }
}
