import { getTown, readiness } from "@tinytown/api";

/** Readiness: 200 when Redis answers and a runner is alive, else 503 with the reasons. Public, so it says no more. */
export const dynamic = "force-dynamic";

export async function GET() {
  const r = await readiness(getTown());
  return Response.json(
    { status: r.ready ? "ready" : "not ready", reasons: r.reasons },
    { status: r.ready ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}
