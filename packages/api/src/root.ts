import { healthRouter } from "./routers/health";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  health: healthRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures in-process (server components, tests): `createCaller(createContext({ headers }))`. */
export const createCaller = createCallerFactory(appRouter);
