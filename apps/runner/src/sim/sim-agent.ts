/**
 * The built-in simulated coding agent: reads its prompt on stdin, streams a plausible work log for about two
 * seconds (TT_SIM_MS overrides), then exits 0 with a one-line summary. No AI model runs; the UI labels it
 * "simulated". Standalone on purpose: it imports nothing from the runner.
 */
const TOTAL_MS = Number(process.env.TT_SIM_MS ?? 2000);

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function taskText(prompt: string): string {
  const m = /## Your task\n[^\n]*\n([\s\S]*?)\n## /.exec(prompt);
  return (m?.[1] ?? prompt).trim();
}

const FILES = ["src/index.ts", "src/app.ts", "src/utils/format.ts", "README.md", "package.json", "test/app.test.ts"];
const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const prompt = await readStdin();
  const task = taskText(prompt);
  const first = task.split("\n")[0]!.slice(0, 100);
  const seed = [...task].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  const steps = [
    `[simulated agent: no AI model is running] agent ${process.env.TT_AGENT ?? "?"}, task ${process.env.TT_TASK ?? "?"}`,
    `Task: ${first}`,
    "Planning: read the code, make the change, run the tests.",
    `Reading ${pick(FILES, seed)}`,
    `Reading ${pick(FILES, seed + 1)}`,
    `Searching for "${first.split(/\s+/)[0] ?? "TODO"}" in the repository: ${(seed % 7) + 1} matches`,
    `Editing ${pick(FILES, seed + 2)} (+${(seed % 40) + 3} -${seed % 9})`,
    "Running tests: npm test",
    `  ✓ ${(seed % 30) + 12} passed`,
    "Reviewing the diff",
  ];
  for (const line of steps) {
    process.stdout.write(line + "\n");
    await sleep(TOTAL_MS / steps.length);
  }
  process.stdout.write(`Simulated: done — ${first}\n`);
}

await main();
