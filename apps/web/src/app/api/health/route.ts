/** Liveness: 200 while the process answers. Public, and touches nothing (not even Redis). */
export const dynamic = "force-dynamic";

export function GET() {
  return Response.json({ status: "ok" }, { headers: { "cache-control": "no-store" } });
}
