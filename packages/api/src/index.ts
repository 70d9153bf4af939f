import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

import type { AppRouter } from "./root";

export { appRouter, createCaller, type AppRouter } from "./root";
export {
  createContext,
  readCookie,
  ACTOR_COOKIE,
  SESSION_COOKIE,
  type Context,
  type CreateContextOptions,
} from "./context";
export {
  requestAccess,
  requirePrincipal,
  assertSameOrigin,
  bearerToken,
  credentials,
  type AccessOpts,
  type RequestAccess,
} from "./auth";
export { trpcGate, limitTrpcRequest, PUBLIC_PROCEDURES } from "./http";
export { reachFromHeaders, safeNextPath, MAX_BATCH_CALLS, MAX_BODY_BYTES } from "./guard/index";
export { streamGuard } from "./live/hub";
// The health endpoints and the types the dashboard names, from core (the web reaches core through this package).
export { readiness, metricsText, type Readiness } from "@tinytown/core";
export { getTown, closeTown } from "./town";
export { closeLiveHubs } from "./live/hub";
export type { CoreErrorData } from "./trpc";
export type { TaskCard, TownOverview, ModelInfo } from "@tinytown/core";

/** Inputs of every procedure, e.g. `RouterInputs["task"]["create"]`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Outputs of every procedure, e.g. `RouterOutputs["town"]["overview"]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
