import { getTown, metricsText, reachFromHeaders, requestAccess } from "@tinytown/api";

/** Prometheus metrics. When sign-in is required, a token (`Authorization: Bearer tt_…`) or a session is too. */
export const dynamic = "force-dynamic";

export async function GET(req: Request) {
  const noStore = { "cache-control": "no-store" };
  let town;
  try {
    town = await getTown();
  } catch {
    return new Response("# town unavailable\n", {
      status: 503,
      headers: { ...noStore, "content-type": "text/plain; charset=utf-8" },
    });
  }
  const access = await requestAccess(town, { headers: req.headers, reach: reachFromHeaders(req.headers) }).catch(
    () => null,
  );
  if (!access?.principal) {
    return new Response("sign in or send Authorization: Bearer <token> (tt token create <name> --role viewer)\n", {
      status: 401,
      headers: {
        ...noStore,
        "content-type": "text/plain; charset=utf-8",
        "www-authenticate": 'Bearer realm="tinytown"',
      },
    });
  }
  try {
    return new Response(await metricsText(town), {
      headers: { ...noStore, "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    });
  } catch {
    return new Response("# redis unreachable\n", {
      status: 503,
      headers: { ...noStore, "content-type": "text/plain; charset=utf-8" },
    });
  }
}
