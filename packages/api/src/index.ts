import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

import type { AppRouter } from "./root";

export { appRouter, createCaller, type AppRouter } from "./root";
export { createContext, ACTOR_COOKIE, type Context } from "./context";
export { getTown, closeTown } from "./town";
export { closeLiveHubs } from "./live/hub";
export type { CoreErrorData } from "./trpc";
export type { TaskCard, BoardColumn } from "./services/board";
export type { TownOverview } from "./services/overview";
export type { ModelInfo } from "./services/models";

/** Inputs of every procedure, e.g. `RouterInputs["task"]["create"]`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Outputs of every procedure, e.g. `RouterOutputs["town"]["overview"]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
