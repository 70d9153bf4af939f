// Server-only: `next/headers` makes Next refuse to bundle this module into client components.
import { headers } from "next/headers";
import { cache } from "react";

import { createCaller, createContext, reachFromHeaders } from "@tinytown/api";

/** Context for calls made while rendering: the incoming request's headers (and so its session / `tt_name` cookie). */
const createRscContext = cache(async () => {
  const heads = new Headers(await headers());
  heads.set("x-trpc-source", "rsc");
  // Rendering runs for a request: it gets that request's reach (never local without the dashboard's server).
  return createContext({ headers: heads, reach: reachFromHeaders(heads) });
});

/** Calls a procedure directly from a server component (the layout's and the sign-in page's "who is here"). */
export async function getCaller() {
  return createCaller(await createRscContext());
}
