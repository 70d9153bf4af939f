/**
 * Output for people and scripts: tables (colour only on a TTY, never with NO_COLOR) or `--json`.
 * Text from users and agents is shown with control characters made visible, so task text can never
 * move the cursor, recolour the terminal, or reorder a line with bidi controls.
 */
export interface IO {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
  /** All of stdin (tests inject it; the real CLI reads process.stdin). */
  stdin?: () => Promise<string>;
}

export function processIO(): IO {
  return {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    isTTY: Boolean(process.stdout.isTTY),
    env: process.env,
    cwd: process.cwd(),
  };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const;
export type Colour = keyof typeof CODES;

export function painter(io: IO) {
  const on = io.isTTY && !io.env.NO_COLOR && io.env.TERM !== "dumb";
  return (c: Colour, s: string) => (on ? `\u001b[${CODES[c]}m${s}\u001b[0m` : s);
}

/** Makes control, bidi and other invisible formatting characters visible. */
export function safe(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (ch) =>
    ch === "\u001b" ? "␛" : `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** One line of user text for a table cell: newlines folded, controls visible, cut to `max` characters. */
export function cell(s: string | null | undefined, max = 60): string {
  const one = safe((s ?? "").replace(/\s*\n\s*/g, " ⏎ ").replace(/\t/g, " "));
  return one.length > max ? one.slice(0, max - 1) + "…" : one;
}

const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "").length;

export function table(rows: string[][], header: string[], paint?: (c: Colour, s: string) => string): string {
  if (rows.length === 0) return "";
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ""))));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c + " ".repeat(widths[i]! - visible(c))))
      .join("  ")
      .trimEnd();
  const head = line(header);
  return [paint ? paint("bold", head) : head, ...rows.map(line)].join("\n") + "\n";
}

export function ago(ms: number | null | undefined, now = Date.now()): string {
  if (!ms) return "-";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

const STATE_COLOURS: Record<string, Colour> = {
  pending: "gray",
  assigned: "blue",
  running: "cyan",
  completed: "green",
  failed: "red",
  cancelled: "gray",
  starting: "yellow",
  idle: "green",
  working: "cyan",
  paused: "yellow",
  draining: "magenta",
  stopped: "gray",
  error: "red",
  urgent: "red",
  high: "yellow",
  normal: "dim",
  low: "gray",
};

export const stateColour = (s: string): Colour => STATE_COLOURS[s] ?? "dim";
