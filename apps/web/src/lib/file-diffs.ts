/**
 * Cuts a unified `git diff` into one piece per file, for a viewer that renders a file at a time. Only the file
 * boundaries (`diff --git` lines) are found here; the hunks are parsed by the diff viewer's own parser.
 */
export interface FileDiffText {
  /** The path as the file list names it (the new path; the old one for a deletion). */
  path: string;
  text: string;
}

const HEADER = /^diff --git a\/(.*) b\/(.*)$/;

/** The diff of each file, in the order git printed them; paths are matched to `paths` when the header is ambiguous. */
export function fileDiffs(diff: string, paths: readonly string[]): FileDiffText[] {
  const known = new Set(paths);
  const lines = diff.split("\n");
  let offset = 0;
  const starts: { at: number; path: string }[] = [];
  for (const line of lines) {
    if (line.startsWith("diff --git ")) {
      const m = HEADER.exec(line);
      // Paths with spaces make the header ambiguous; the file list knows the real one.
      const candidate = m ? (known.has(m[2]!) ? m[2]! : known.has(m[1]!) ? m[1]! : m[2]!) : line.slice(11);
      starts.push({ at: offset, path: candidate });
    }
    offset += line.length + 1;
  }
  return starts.map((s, i) => ({ path: s.path, text: diff.slice(s.at, starts[i + 1]?.at ?? diff.length) }));
}
