// The default town of `npm start` lives in Tinytown's own checkout, which is a git repository: its tasks must never
// make branches or worktrees there. This gives that town a small demo repository of its own (.tt/demo-repo, created
// once) and points the town's `workspace.repo` at it. A town that already names a repository, or turned worktrees
// off, is left as it is. Run as `node scripts/demo-repo.mjs <town dir>` or import `ensureDemoRepo`.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const DEMO_REPO = ".tt/demo-repo";

const FILES = {
  "README.md":
    "# Demo project\n\nA small repository for Tinytown's agents to change: each task runs in its own worktree.\n",
  "package.json": '{\n  "name": "demo-project",\n  "private": true,\n  "type": "module"\n}\n',
  "src/index.ts": 'import { app } from "./app";\n\napp.listen(3000);\n',
  "src/app.ts": "export const app = {\n  listen(port: number) {\n    console.log(`listening on ${port}`);\n  },\n};\n",
  "src/utils/format.ts": "export const format = (n: number) => n.toFixed(2);\n",
  "test/app.test.ts": 'import { app } from "../src/app";\n\nconsole.assert(typeof app.listen === "function");\n',
};

function git(cwd, ...args) {
  const r = spawnSync(
    "git",
    [
      "-c",
      "core.hooksPath=/dev/null",
      "-c",
      "commit.gpgSign=false",
      "-c",
      "user.name=Tinytown demo",
      "-c",
      "user.email=demo@tinytown.invalid",
      ...args,
    ],
    { cwd, encoding: "utf8", shell: false },
  );
  if (r.status !== 0) throw new Error(`git ${args[0]} in ${cwd} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/**
 * Creates the demo repository under `townDir` when it is missing (branch main, one commit) and sets the town's
 * `workspace` to it in tinytown.json. Idempotent. Returns what it did: "created", "configured" or "unchanged".
 */
export function ensureDemoRepo(townDir) {
  const configFile = join(townDir, "tinytown.json");
  const config = JSON.parse(readFileSync(configFile, "utf8"));
  const ws = config.workspace ?? {};
  if (ws.enabled === false || (ws.repo && ws.repo !== DEMO_REPO)) return "unchanged";
  const repo = join(townDir, DEMO_REPO);
  let did = "unchanged";
  if (!existsSync(join(repo, ".git"))) {
    mkdirSync(repo, { recursive: true });
    git(repo, "init", "--quiet", "--initial-branch", "main");
    for (const [path, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(repo, path)), { recursive: true });
      writeFileSync(join(repo, path), text);
    }
    git(repo, "add", "--all");
    git(repo, "commit", "--quiet", "--no-verify", "-m", "Demo project");
    did = "created";
  }
  if (ws.repo !== DEMO_REPO || ws.base !== "main") {
    // The base `tt init` detected is Tinytown's own branch: the demo repository's is main.
    config.workspace = { ...ws, repo: DEMO_REPO, base: "main" };
    writeFileSync(`${configFile}.tmp`, JSON.stringify(config, null, 2) + "\n");
    renameSync(`${configFile}.tmp`, configFile);
    if (did === "unchanged") did = "configured";
  }
  return did;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    console.error("usage: node scripts/demo-repo.mjs <town dir>");
    process.exit(2);
  }
  console.log(ensureDemoRepo(dir));
}
