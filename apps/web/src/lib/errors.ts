/** What the UI needs from a failed tRPC call: the message, the tRPC code and core's details (e.g. the current state). */
export interface ApiFailure {
  message: string;
  code: string | null;
  coreCode: string | null;
  details: Record<string, unknown>;
}

/** Reads a TRPCClientError (or anything thrown) without trusting its shape. */
export function apiFailure(err: unknown): ApiFailure {
  const e = err as {
    message?: unknown;
    data?: { code?: unknown; core?: { code?: unknown; details?: unknown } | null } | null;
  } | null;
  const data = e?.data ?? null;
  const core = data?.core ?? null;
  return {
    message: typeof e?.message === "string" && e.message ? e.message : "something went wrong",
    code: typeof data?.code === "string" ? data.code : null,
    coreCode: typeof core?.code === "string" ? core.code : null,
    details: core?.details && typeof core.details === "object" ? (core.details as Record<string, unknown>) : {},
  };
}
