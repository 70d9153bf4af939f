/**
 * The dashboard's cookies and the display-name rule, shared by the API (which reads them) and the web app (which
 * sets the name). Pure: exported to the browser through `@tinytown/core/schema`.
 */
import { z } from "zod";

/** Cookie the dashboard sets when someone picks a display name (open access only). */
export const ACTOR_COOKIE = "tt_name";
/** HTTP-only cookie holding the sign-in session id. */
export const SESSION_COOKIE = "tt_session";

export const MAX_DISPLAY_NAME_LENGTH = 64;

/**
 * A display name picked with open access: 1-64 characters after trimming, no control characters (they would corrupt
 * logs and event payloads).
 */
export const DisplayName = z
  .string()
  .trim()
  .min(1, "a display name is required")
  .max(MAX_DISPLAY_NAME_LENGTH, `a display name is at most ${MAX_DISPLAY_NAME_LENGTH} characters`)
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "a display name cannot contain control characters");
export type DisplayName = z.infer<typeof DisplayName>;
