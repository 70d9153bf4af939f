/**
 * Where to go after signing in: only a path of this site. Browsers strip tab, CR and LF from URLs and read `\` as
 * `/`, so `/\t/attacker.test` becomes `//attacker.test` — off-site. The candidate is resolved the way a browser
 * would, against a placeholder origin, and kept only if it stays there; anything else (also anything that would
 * turn hostile if decoded once more) is `/`.
 */
const BASE = "http://tinytown.invalid";

/** A same-site path (with query and fragment) from a `next` parameter, or "/". */
export function safeNextPath(next: unknown): string {
  const raw = Array.isArray(next) ? (next as unknown[])[0] : next;
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 2048) return "/";
  // Control characters and backslashes have no place in a path we produce ourselves; checked once decoded too, in
  // case something on the way decodes it again.
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return "/";
  }
  for (const s of [raw, decoded])
    if (!s.startsWith("/") || s.startsWith("//") || /[\u0000-\u001f\u007f\\]/.test(s)) return "/";
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return "/";
  }
  if (url.origin !== BASE) return "/";
  const path = url.pathname + url.search + url.hash;
  return path.startsWith("//") ? "/" : path;
}
