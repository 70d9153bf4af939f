import { ACTOR_COOKIE } from "@tinytown/core/schema";

/** Keeps the display name a person picked in the `tt_name` cookie, which the API reads as the actor (open access). */
export function writeActorCookie(name: string): void {
  const year = 365 * 24 * 3600;
  document.cookie = `${ACTOR_COOKIE}=${encodeURIComponent(name)}; Path=/; Max-Age=${year}; SameSite=Lax`;
}
