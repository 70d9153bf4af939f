/**
 * The bundle's entry (dist/tt.js, CommonJS, loaded by bin/tt.mjs through a V8 code cache). Only the module of the
 * command being run is initialised: the others, and BullMQ unless the command enqueues, are never evaluated.
 */
import { VERSION } from "./version";

/** Runs `tt` with `argv` and resolves to its exit code; connections are closed by then. */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const { run } = await import("./program");
  return run(argv);
}
