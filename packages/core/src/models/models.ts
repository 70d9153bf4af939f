import { z } from "zod";
import { CoreError } from "../errors";

/**
 * How an agent's CLI is launched. Never through a shell: `command` is looked up on PATH and `args` are
 * passed as an argv array. Placeholders in args: `{promptFile}` (path of a file holding the prompt) and
 * `{prompt}` (the prompt text itself, only for `prompt: "arg"`).
 */
export const ModelSpec = z
  .object({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    /** stdin: the prompt is written to the process's stdin; file: `{promptFile}` (appended if absent); arg: `{prompt}`. */
    prompt: z.enum(["stdin", "file", "arg"]).default("stdin"),
    env: z.record(z.string(), z.string()).default({}),
    /** Working directory, relative to the town directory. */
    cwd: z.string().optional(),
    label: z.string().optional(),
  })
  .strict();
export type ModelSpec = z.infer<typeof ModelSpec>;

export interface ResolvedModel extends ModelSpec {
  name: string;
  /** `preset`, `custom` (town config) or `simulated` (the built-in sim). */
  kind: "preset" | "custom" | "simulated";
  docs?: string;
  /** How to install the CLI (presets). */
  install?: string;
}

/**
 * Presets for the CLIs people use, with their non-interactive flags. Each runs headless, never asks for
 * confirmation, and reads the prompt without putting it on the command line where the CLI allows that.
 */
export const MODEL_PRESETS: Record<string, Omit<ResolvedModel, "name">> = {
  claude: {
    kind: "preset",
    command: "claude",
    args: ["--print", "--dangerously-skip-permissions"],
    prompt: "stdin",
    env: {},
    label: "Claude Code",
    docs: "claude --print reads the prompt from stdin when no prompt argument is given",
    install: "npm install -g @anthropic-ai/claude-code",
  },
  codex: {
    kind: "preset",
    command: "codex",
    args: ["exec", "--full-auto", "--skip-git-repo-check", "-"],
    prompt: "stdin",
    env: {},
    label: "OpenAI Codex CLI",
    docs: "codex exec reads the instructions from stdin when the prompt argument is '-'",
    install: "npm install -g @openai/codex",
  },
  auggie: {
    kind: "preset",
    command: "auggie",
    args: ["--print", "--instruction-file", "{promptFile}"],
    prompt: "file",
    env: {},
    label: "Augment auggie",
    docs: "auggie --print runs one instruction non-interactively; --instruction-file reads it from a file",
    install: "npm install -g @augmentcode/auggie",
  },
  aider: {
    kind: "preset",
    command: "aider",
    args: ["--yes", "--no-auto-commits", "--message-file", "{promptFile}"],
    prompt: "file",
    env: {},
    label: "Aider",
    docs: "aider --message-file processes one message from a file and exits",
    install: "python -m pip install aider-install && aider-install",
  },
  gemini: {
    kind: "preset",
    command: "gemini",
    args: ["--yolo"],
    prompt: "stdin",
    env: {},
    label: "Gemini CLI",
    docs: "gemini runs non-interactively when stdin is not a terminal; --yolo approves tool use",
    install: "npm install -g @google/gemini-cli",
  },
  copilot: {
    kind: "preset",
    command: "copilot",
    args: ["--allow-all-tools", "-p", "Read the file {promptFile} and carry out the task it describes."],
    prompt: "file",
    env: {},
    label: "GitHub Copilot CLI",
    docs: "copilot -p runs one prompt non-interactively; the prompt points at the task file",
    install: "npm install -g @github/copilot",
  },
  cursor: {
    kind: "preset",
    command: "cursor-agent",
    args: ["--print", "--force", "Read the file {promptFile} and carry out the task it describes."],
    prompt: "file",
    env: {},
    label: "Cursor Agent",
    docs: "cursor-agent --print runs headless; --force allows commands without confirmation",
    install: "curl https://cursor.com/install -fsS | bash",
  },
  sim: {
    kind: "simulated",
    command: "(built-in)",
    args: [],
    prompt: "stdin",
    env: {},
    label: "Simulated agent",
    docs: "streams a short work log for a couple of seconds, then completes; no AI CLI needed",
  },
};

/** Names of all models available in a town: presets plus the town's custom models. */
export function modelNames(custom: Record<string, ModelSpec>): string[] {
  return [...new Set([...Object.keys(MODEL_PRESETS), ...Object.keys(custom)])].sort();
}

/** Resolves a model name; custom models in the town config override presets of the same name. */
export function resolveModel(custom: Record<string, ModelSpec>, name: string): ResolvedModel {
  const c = custom[name];
  if (c) return { ...c, name, kind: "custom" };
  const p = MODEL_PRESETS[name];
  if (p) return { ...p, name };
  throw new CoreError(
    "VALIDATION",
    `unknown model "${name}": use one of ${modelNames(custom).join(", ")}, or declare it under "models" in tinytown.json`,
    { model: name, models: modelNames(custom) },
  );
}
