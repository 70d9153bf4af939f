import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

import type { AppRouter } from "./root";

export { appRouter, createCaller, type AppRouter } from "./root";
export { createContext, ACTOR_COOKIE, type Context } from "./context";

/** Inputs of every procedure, e.g. `RouterInputs["health"]["ticks"]`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Outputs of every procedure, e.g. `RouterOutputs["health"]["ping"]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
