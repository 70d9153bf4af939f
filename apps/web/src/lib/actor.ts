/** The display name a person picked, kept in the `tt_name` cookie (the API reads it as the actor). */
export const ACTOR_COOKIE = "tt_name";
export const MAX_NAME_LENGTH = 64;

export function readActorCookie(): string | null {
  if (typeof document === "undefined") return null;
  for (const part of document.cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === ACTOR_COOKIE) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim()) || null;
      } catch {
        return null;
      }
    }
  }
  return null;
}

export function writeActorCookie(name: string): void {
  const year = 365 * 24 * 3600;
  document.cookie = `${ACTOR_COOKIE}=${encodeURIComponent(name)}; Path=/; Max-Age=${year}; SameSite=Lax`;
}
