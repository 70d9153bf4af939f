import { agentRouter } from "./routers/agent";
import { authRouter } from "./routers/auth";
import { healthRouter } from "./routers/health";
import { messageRouter } from "./routers/message";
import { needsRouter } from "./routers/needs";
import { queueRouter } from "./routers/queue";
import { reviewRouter } from "./routers/review";
import { taskRouter } from "./routers/task";
import { townRouter } from "./routers/town";
import { usageRouter } from "./routers/usage";
import { userRouter } from "./routers/user";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  health: healthRouter,
  auth: authRouter,
  town: townRouter,
  agent: agentRouter,
  task: taskRouter,
  message: messageRouter,
  needs: needsRouter,
  queue: queueRouter,
  review: reviewRouter,
  user: userRouter,
  usage: usageRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures in-process (server components, tests): `createCaller(createContext({ headers, town }))`. */
export const createCaller = createCallerFactory(appRouter);
