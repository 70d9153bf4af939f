export * from "./roles";
export { hashPassword, verifyPassword } from "./password";
export * from "./users";
export * from "./tokens";
export { SESSION_TTL_MS, createSession, resolveSession, endSession, endAllSessions } from "./sessions";
export * from "./login";
export * from "./access";
export * from "./audit";
export * from "./reach";
