/**
 * What an agent process gets of the runner's environment: a short base list, plus what its model declares
 * (`passEnv` names taken from the runner, `env` values set outright). Never the rest: a runner's cloud keys,
 * Redis URL or tokens stay with the runner.
 */
import type { ModelSpec } from "./models";

/**
 * Passed to every agent when the runner has them: what a CLI needs to find programs, its home and config,
 * the terminal and locale, temporary files, and a proxy with its certificates. A trailing `*` is a prefix.
 */
export const AGENT_BASE_ENV: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LANGUAGE",
  "LC_*",
  "TERM",
  "COLORTERM",
  "NO_COLOR",
  "TZ",
  "TMPDIR",
  "XDG_CONFIG_HOME",
  "XDG_CACHE_HOME",
  "XDG_DATA_HOME",
  "XDG_STATE_HOME",
  "XDG_RUNTIME_DIR",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "all_proxy",
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
];

/** A matcher for `patterns` (exact names, or prefixes written `PREFIX*`). */
export function envNameMatcher(patterns: readonly string[]): (name: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.endsWith("*")));
  const prefixes = patterns.filter((p) => p.endsWith("*")).map((p) => p.slice(0, -1));
  return (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p));
}

/**
 * The environment of an agent process of `model`, taken from the runner's `source` environment: the base
 * list and the model's `passEnv` names that are set there, then the model's own `env` values on top.
 */
export function agentEnvironment(
  model: Pick<ModelSpec, "env" | "passEnv">,
  source: Record<string, string | undefined>,
): Record<string, string> {
  const allowed = envNameMatcher([...AGENT_BASE_ENV, ...(model.passEnv ?? [])]);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && allowed(name)) out[name] = value;
  }
  return { ...out, ...model.env };
}
