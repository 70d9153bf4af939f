/** HTTP-level guards for the web's route handlers (the procedures check again; these only refuse earlier). */
import { assertRedisReady, isCoreError, withRedisDeadline, type Reach, type Town } from "@tinytown/core";

import { requirePrincipal } from "./auth";
import { bufferBody, refusalResponse, refuseRequest } from "./guard/limits";

/** Procedures anyone may call: the sign-in page needs them, and a liveness ping reveals nothing. */
export const PUBLIC_PROCEDURES: ReadonlySet<string> = new Set(["health.ping", "auth.me", "auth.login", "auth.logout"]);

/**
 * A plain 401 for a tRPC request that needs sign-in and carries no valid credentials. Without this, a refused SSE
 * subscription would answer 200 and send the refusal as its first frame; monitors and proxies should see a 401.
 * Returns null to let the request through (the procedure still checks roles).
 */
export async function trpcGate(
  req: Request,
  opts: { endpoint: string; town: Town; reach: Reach },
): Promise<Response | null> {
  const path = decodeURIComponent(new URL(req.url).pathname.slice(opts.endpoint.length + 1));
  const paths = path.split(",").filter(Boolean);
  if (paths.length > 0 && paths.every((p) => PUBLIC_PROCEDURES.has(p))) return null;
  let refusal = "sign in first (or send `Authorization: Bearer <token>`)";
  try {
    assertRedisReady(opts.town);
    await withRedisDeadline(requirePrincipal(opts.town, { headers: req.headers, reach: opts.reach }));
    return null;
  } catch (err) {
    // Redis paused or down: the same clear 503 the procedures give, never a hang.
    if (isCoreError(err, "REDIS_UNAVAILABLE")) {
      return Response.json(
        { error: { message: err.message, code: "SERVICE_UNAVAILABLE" } },
        { status: 503, headers: { "cache-control": "no-store", "retry-after": "3" } },
      );
    }
    // Says how to get in: sign in, a token, or (no users yet) add an admin first.
    if (isCoreError(err, "UNAUTHORIZED")) refusal = err.message;
  }
  return Response.json(
    { error: { message: refusal, code: "UNAUTHORIZED" } },
    { status: 401, headers: { "cache-control": "no-store" } },
  );
}

/**
 * The body and batch limits and the JSON-only rule for a request to the tRPC endpoint (guard/limits.ts), then the
 * body read into memory under the cap: the request to hand to tRPC, or the refusal to answer with.
 */
export async function limitTrpcRequest(req: Request, endpoint: string): Promise<Request | Response> {
  const url = new URL(req.url);
  const refusal = refuseRequest(
    { method: req.method, url: url.pathname + url.search, headers: req.headers },
    { jsonOnly: true, trpcEndpoint: endpoint },
  );
  if (refusal) return refusalResponse(refusal);
  return bufferBody(req);
}
