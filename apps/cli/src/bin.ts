import { run } from "./program";

const code = await run(process.argv.slice(2));
// Connections are closed by run(); exit explicitly so a lingering timer never keeps `tt` alive.
process.exit(code);
