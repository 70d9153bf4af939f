/** Small readers for untrusted JSON: each returns a usable value or undefined, never throws. */
import { ACTIVITY_LIMITS, clip } from "../activity";

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
/** A count (tokens): a number from 0 to 10^12, else 0. */
export const count = (v: unknown): number =>
  typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.floor(Math.min(v, 1e12)) : 0;
export const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** Parses one line as a JSON object; undefined when it is not one. */
export function parseObject(line: string): Obj | undefined {
  const t = line.trim();
  if (t[0] !== "{") return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Lines in a text: `a\nb\n` is 2. */
export function lineCount(s: string | undefined): number {
  if (!s) return 0;
  const n = s.split("\n").length;
  return s.endsWith("\n") ? n - 1 : n;
}

/** Added / removed lines of a unified diff (headers `+++` / `---` not counted). */
export function diffCounts(lines: Iterable<string>): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const l of lines) {
    if (l.startsWith("+") && !l.startsWith("+++")) added++;
    else if (l.startsWith("-") && !l.startsWith("---")) removed++;
  }
  return { added, removed };
}

/** Text of a tool result or MCP content: a string, or the text parts of a content-block array. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return content === undefined || content === null ? "" : compactJson(content);
  const parts: string[] = [];
  let size = 0;
  for (const b of content) {
    const t = isObj(b) ? (str(b.text) ?? (b.type === "image" ? "[image]" : "")) : typeof b === "string" ? b : "";
    if (!t) continue;
    parts.push(t);
    size += t.length;
    if (size > ACTIVITY_LIMITS.output) break;
  }
  return parts.join("\n");
}

/** JSON of a value, cut short: for summaries of unknown tool inputs. */
export function compactJson(v: unknown, max: number = ACTIVITY_LIMITS.summary): string {
  try {
    return clip(JSON.stringify(v) ?? "", max);
  } catch {
    return "";
  }
}

/** One line for a summary: whitespace runs (newlines included) become one space. */
export function oneLine(s: string, max: number = ACTIVITY_LIMITS.summary): string {
  return clip(
    s
      .slice(0, max * 4)
      .replace(/\s+/g, " ")
      .trim(),
    max,
  );
}
