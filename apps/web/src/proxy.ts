/**
 * Page loads without a valid session go to /login when sign-in is required (users exist, or the request is not
 * really local: see core reach.ts). This only redirects: every API entry checks on its own, so a page that slipped
 * past would still get no data. (The dashboard's server, src/server/main.ts, has already refused a foreign Host
 * and set the security headers, CSP nonce included, before this runs.)
 */
import { NextResponse, type NextRequest } from "next/server";

import { getTown, reachFromHeaders, requestAccess } from "@tinytown/api";

export async function proxy(req: NextRequest) {
  const town = await getTown().catch(() => null);
  // No town or no Redis: let the page render its own error rather than loop through /login.
  if (!town) return NextResponse.next();
  const reach = reachFromHeaders(req.headers);
  // An error (Redis away) says nothing about who this is: render the page, which says the town is unreachable,
  // rather than a sign-in form that could not work either.
  const access = await requestAccess(town, { headers: req.headers, reach }).catch(() => null);
  if (!access || access.principal) return NextResponse.next();
  const login = new URL("/login", req.url);
  login.search = "";
  const next = req.nextUrl.pathname + req.nextUrl.search;
  if (next !== "/") login.searchParams.set("next", next);
  return NextResponse.redirect(login);
}

export const config = {
  // Pages only: API routes answer 401 themselves; /login and static files are always reachable.
  matcher: ["/((?!api/|_next/|login|icon\\.svg|favicon\\.ico|robots\\.txt).*)"],
};
