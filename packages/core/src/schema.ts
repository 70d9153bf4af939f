/**
 * `@tinytown/core/schema`: the client-safe part of core — the enums, the zod schemas that cross a boundary, the role
 * and transition tables, the board rules, the cookie names and the activity, price and budget rules — with no Redis and no Node, so a browser bundle may
 * import it. schema.test.ts bundles this entry for the browser and fails on any Node, ioredis or BullMQ import;
 * `tsconfig.schema.json` typechecks it without Node's types (so `Buffer` or `process` fail too).
 */
export * from "./refs";
export * from "./task/task";
export * from "./task/review";
export * from "./task/board";
export * from "./agent/agent";
export * from "./message/message";
export * from "./channel/event-types";
export * from "./channel/describe";
export * from "./needs/need";
export * from "./auth/roles";
export * from "./auth/cookies";
export * from "./sessions/activity";
export * from "./sessions/pricing";
export * from "./sessions/budget-rules";
export * from "./sessions/rate-limit";
export * from "./sessions/format";
export { CoreError, isCoreError, validationError, type CoreErrorCode } from "./errors";
