import { z } from "zod";
import { CoreError } from "../errors";
import { MessageType } from "../message/message";
import { Protocol, SessionId } from "../sessions/activity";
import { RateLimitRule } from "../sessions/rate-limit";

/** A runner environment variable name, or a prefix ending in `*` (`ANTHROPIC_*`). */
export const EnvName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*\*?$/,
    "an environment variable name (A-Z, 0-9, _), optionally ending in * as a prefix",
  );

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
    /**
     * Names of the runner's environment variables the agent needs (its provider keys, config dirs), passed
     * through when set; a trailing `*` matches a prefix. The agent gets nothing else of the runner's
     * environment beyond a small base list (PATH, HOME, locale, TERM, proxies: AGENT_BASE_ENV in agent-env.ts).
     */
    passEnv: z.array(EnvName).max(100).optional(),
    /** Working directory, relative to the town directory. */
    cwd: z.string().optional(),
    label: z.string().optional(),
    /**
     * How the CLI's stdout is read (default `lines`): `claude-stream-json` / `codex-json` give the Activity timeline,
     * tokens, cost and the session id; `args` must then ask the CLI for that format.
     */
    protocol: Protocol.optional(),
    /** argv instead of `args` when a run resumes the task's CLI session; `{sessionId}` is replaced by its id. */
    resumeArgs: z.array(z.string()).max(100).optional(),
    /** A line matching this pattern means the provider's rate limit is reached (models that print lines). */
    rateLimit: RateLimitRule.optional(),
    /**
     * Message types that wake the agent when it is idle (a round whose prompt is its inbox). Default: `query` and
     * `custom` from anyone, and plain `info` from a person; replies and reports (ack, pong, status_response,
     * task_done…) never wake, so agents chatting spend nothing. `[]`: messages wait for the next task.
     */
    wakeOn: z.array(MessageType).max(20).optional(),
    /**
     * How `tt ask` waits for a human: `end-run` (default; the run ends, the answer starts the next attempt with the
     * answer in its prompt, resuming the session where `resumeArgs` allow) or `block` (the process waits).
     */
    ask: z.enum(["end-run", "block"]).optional(),
    /** With `ask: "block"`: how long `tt ask` waits for the answer (default 600). */
    askTimeoutSec: z.number().int().positive().max(86_400).optional(),
  })
  .strict();
export type ModelSpec = z.infer<typeof ModelSpec>;

/** A preset's structured mode: the argv that asks the CLI for its event stream, and the one that resumes. */
export interface StructuredLaunch {
  protocol: Exclude<Protocol, "lines">;
  args: string[];
  resumeArgs: string[];
}

export interface ResolvedModel extends ModelSpec {
  name: string;
  /** `preset`, `custom` (town config) or `simulated` (the built-in sim). */
  kind: "preset" | "custom" | "simulated";
  docs?: string;
  /** How to install the CLI (presets). */
  install?: string;
  /** Presets whose CLI has a structured mode: how to launch it (`structuredModel` switches to it). */
  structured?: StructuredLaunch;
}

const CLAUDE_ARGS = ["--print", "--dangerously-skip-permissions"];
const CODEX_ARGS = ["--full-auto", "--skip-git-repo-check"];

/**
 * Presets for the CLIs people use, with their non-interactive flags. Each runs headless, never asks for
 * confirmation, and reads the prompt without putting it on the command line where the CLI allows that.
 */
export const MODEL_PRESETS: Record<string, Omit<ResolvedModel, "name">> = {
  claude: {
    kind: "preset",
    command: "claude",
    args: [...CLAUDE_ARGS],
    prompt: "stdin",
    env: {},
    passEnv: ["ANTHROPIC_*", "CLAUDE_CODE_*", "CLAUDE_CONFIG_DIR", "API_TIMEOUT_MS", "DISABLE_TELEMETRY"],
    label: "Claude Code",
    docs: "claude --print reads the prompt from stdin when no prompt argument is given",
    install: "npm install -g @anthropic-ai/claude-code",
    // Text mode's wording of a spent plan quota (older versions: `Claude AI usage limit reached|<epoch s>`).
    rateLimit: { pattern: "usage limit reached\\|(?<reset>\\d{10,13})|You.ve hit your limit" },
    structured: {
      protocol: "claude-stream-json",
      args: [...CLAUDE_ARGS, "--output-format", "stream-json", "--verbose"],
      resumeArgs: [...CLAUDE_ARGS, "--output-format", "stream-json", "--verbose", "--resume", "{sessionId}"],
    },
  },
  codex: {
    kind: "preset",
    command: "codex",
    args: ["exec", ...CODEX_ARGS, "-"],
    prompt: "stdin",
    env: {},
    passEnv: ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "CODEX_*"],
    label: "OpenAI Codex CLI",
    docs: "codex exec reads the instructions from stdin when the prompt argument is '-'",
    install: "npm install -g @openai/codex",
    rateLimit: { pattern: "hit your usage limit|exceeded retry limit, last status: 429", flags: "i" },
    // `resume` is a subcommand of `exec` taking the prompt after the id; `--json` and the flags above are global.
    structured: {
      protocol: "codex-json",
      args: ["exec", "--json", ...CODEX_ARGS, "-"],
      resumeArgs: ["exec", "--json", ...CODEX_ARGS, "resume", "{sessionId}", "-"],
    },
  },
  auggie: {
    kind: "preset",
    command: "auggie",
    args: ["--print", "--instruction-file", "{promptFile}"],
    prompt: "file",
    env: {},
    passEnv: ["AUGMENT_*"],
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
    passEnv: [
      "AIDER_*",
      "OPENAI_API_KEY",
      "OPENAI_API_BASE",
      "ANTHROPIC_API_KEY",
      "GEMINI_API_KEY",
      "DEEPSEEK_API_KEY",
      "OPENROUTER_API_KEY",
      "GROQ_API_KEY",
      "MISTRAL_API_KEY",
    ],
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
    passEnv: [
      "GEMINI_*",
      "GOOGLE_API_KEY",
      "GOOGLE_CLOUD_PROJECT",
      "GOOGLE_CLOUD_LOCATION",
      "GOOGLE_GENAI_USE_VERTEXAI",
      "GOOGLE_APPLICATION_CREDENTIALS",
    ],
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
    passEnv: ["COPILOT_*", "GH_TOKEN", "GITHUB_TOKEN", "GH_HOST"],
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
    passEnv: ["CURSOR_API_KEY", "CURSOR_AUTH_TOKEN", "CURSOR_CONFIG_DIR"],
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
    passEnv: ["TT_SIM_MS"],
    label: "Simulated agent",
    docs: "streams a short work log for a couple of seconds, then completes; no AI CLI needed",
  },
};

/** Names of all models available in a town: presets plus the town's custom models. */
export function modelNames(custom: Record<string, ModelSpec>): string[] {
  return [...new Set([...Object.keys(MODEL_PRESETS), ...Object.keys(custom)])].sort();
}

/**
 * Resolves a model name; custom models in the town config override presets of the same name. Only own keys
 * count: `constructor` or `__proto__` are not models.
 */
export function resolveModel(custom: Record<string, ModelSpec>, name: string): ResolvedModel {
  if (Object.hasOwn(custom, name)) return { ...custom[name]!, name, kind: "custom" };
  if (Object.hasOwn(MODEL_PRESETS, name)) return { ...MODEL_PRESETS[name]!, name };
  throw new CoreError(
    "VALIDATION",
    `unknown model "${name}": use one of ${modelNames(custom).join(", ")}, or declare it under "models" in tinytown.json`,
    { model: name, models: modelNames(custom) },
  );
}

/**
 * The model as it runs in its structured mode, for presets that have one (`claude`, `codex`); other models as
 * they are (a custom model declares `protocol` and `resumeArgs` itself).
 */
export function structuredModel(model: ResolvedModel): ResolvedModel {
  if (!model.structured) return model;
  const { protocol, args, resumeArgs } = model.structured;
  return { ...model, protocol, args, resumeArgs };
}

/**
 * The argv of a run: `resumeArgs` with `{sessionId}` filled in when the task has a session and the model can
 * resume, else `args`. A session id that could read as a flag or is not an id is refused (VALIDATION).
 */
export function runArgs(model: Pick<ModelSpec, "args" | "resumeArgs">, sessionId?: string | null): string[] {
  if (!sessionId || !model.resumeArgs) return [...model.args];
  const id = SessionId.safeParse(sessionId);
  if (!id.success)
    throw new CoreError(
      "VALIDATION",
      `cannot resume session "${sessionId.slice(0, 40)}": ${id.error.issues[0]?.message}`,
      {
        sessionId,
      },
    );
  return model.resumeArgs.map((a) => a.replaceAll("{sessionId}", id.data));
}

/** The provider model a run asks for (`-m gpt-5.4`, `--model=sonnet`), to price tokens the CLI does not price. */
export function providerModelFromArgs(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if ((a === "-m" || a === "--model") && i + 1 < args.length) return args[i + 1];
    if (a.startsWith("--model=")) return a.slice("--model=".length);
  }
  return undefined;
}
