/** Structured sessions: the activity model, adapters, prices, usage sums and budgets (see README.md here). */
export * from "./activity";
export * from "./pricing";
export * from "./rate-limit";
export * from "./budget-rules";
export * from "./adapters/index";
export * from "./record";
export * from "./activity-log";
export * from "./usage";
export * from "./budgets";
export * from "./session-store";
export * from "./format";
export * from "./lanes";
