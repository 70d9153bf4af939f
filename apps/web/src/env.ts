import { z } from "zod";

// In the browser the dashboard's Content-Security-Policy forbids eval: without this, zod probes `new Function`
// (which the browser reports as a CSP violation) before it falls back to the same, eval-free parsing.
if (typeof window !== "undefined") z.config({ jitless: true });

/**
 * The web app's configuration, read from the environment in this one place.
 *
 * Only non-secret settings belong here: this module is also bundled into client components. Each variable is
 * read by its literal name (`process.env.NODE_ENV`, not `process.env`) because that is what Next inlines into
 * client bundles; in the browser the others are undefined and fall back to their defaults.
 */
export const Env = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  /**
   * The port the dashboard's server listens on (it sets this itself after listening); server-side rendering calls
   * back into the API on it. Where the server listens never comes from the environment: see src/server/main.ts.
   */
  PORT: z.coerce.number().int().min(1).max(65_535).default(3000),
});
export type Env = z.infer<typeof Env>;

export const env: Env = Env.parse({
  NODE_ENV: process.env.NODE_ENV,
  PORT: process.env.PORT,
});
