export * from "./roles";
export {
  hashPassword,
  verifyPassword,
  needsRehash,
  passwordHashStats,
  SCRYPT_PARAMS,
  HASH_CONCURRENCY,
  HASH_WAIT_MS,
  type ScryptParams,
} from "./password";
export * from "./users";
export * from "./tokens";
export { SESSION_TTL_MS, SESSION_RENEW_EVERY_MS, createSession, endSession, endAllSessions } from "./session-store";
export { touchSession, resolveSession, type LiveSession } from "./sessions";
export * from "./login";
export { LOGIN_POLICY, backoffMs, clientKey, unlockUser, type BackoffRule } from "./throttle";
export * from "./access";
export * from "./audit";
export * from "./reach";
