/** Git identities and commit subjects made from Tinytown names and task text. */

/** A git identity from a Tinytown name (an agent or a principal such as `token:ci-bot`). */
export function identity(name: string, domain: string): { name: string; email: string } {
  const clean =
    name
      .replace(/[<>\n\r\0]/g, "")
      .replace(/[\x00-\x1f\x7f]/g, " ")
      .trim()
      .slice(0, 128) || "tinytown";
  const local =
    clean
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[-.]+|[-.]+$/g, "")
      .slice(0, 64) || "tinytown";
  return { name: clean, email: `${local}@${domain}` };
}

export const authorEnv = (who: { name: string; email: string }) => ({
  GIT_AUTHOR_NAME: who.name,
  GIT_AUTHOR_EMAIL: who.email,
});
export const committerEnv = (who: { name: string; email: string }) => ({
  GIT_COMMITTER_NAME: who.name,
  GIT_COMMITTER_EMAIL: who.email,
});

/** The first line of a text, without control characters, at most `max` characters. */
export function firstLine(text: string, max: number): string {
  const line = (text.split("\n").find((l) => l.trim()) ?? "").replace(/[\x00-\x1f\x7f]/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
