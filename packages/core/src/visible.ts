/**
 * Text from users and agents shown on a terminal or in a log: control, bidi and other invisible formatting
 * characters are made visible, so that text can never move a cursor, clear or recolour a screen, or reorder a
 * line. ESC shows as ␛, the others as `\uXXXX`.
 */
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

const show = (ch: string) => (ch === "\u001b" ? "␛" : `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** Controls made visible; newlines and tabs kept. */
export function visibleText(s: string): string {
  return s.replace(INVISIBLE, show);
}

/** One log line: controls made visible and newlines written `\n`, so no text can forge another line. */
export function visibleLine(s: string): string {
  return visibleText(s).replace(/\n/g, "\\n");
}
