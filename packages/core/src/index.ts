export * from "./errors";
export * from "./visible";
export * from "./refs";
export * from "./redis/keys";
export * from "./redis/atomic";
export * from "./redis/connection";

export * from "./town/config";
export * from "./town/town";
export * from "./town/status";
export * from "./runners/registry";
export * from "./runners/runs";
export * from "./runners/run-steps";
export * from "./town/managed-redis";
export * from "./town/redis-ready";
export * from "./town/health";
export * from "./town/overview";

export * from "./models/models";
export * from "./models/agent-env";
export * from "./agent-api/protocol";

export * from "./agent/agent";
export * from "./agent/agent.service";
export * from "./agent/lifecycle";
export * from "./agent/last-task";
export * from "./agent/agent-detail";

export * from "./task/task";
export * from "./task/task.service";
export * from "./task/task-detail";
export * from "./task/board-column";
export * from "./task/review";
export * from "./task/task-review.service";
export * from "./workspace/index";

export * from "./message/message";
export * from "./channel/channel";
export * from "./channel/events";
export * from "./dispatch/dispatch";
export * from "./task/task-log";
export * from "./task/task-stream";
export * from "./channel/take";
export * from "./channel/inflight";
export * from "./channel/inbox";
export * from "./channel/forward";
export * from "./task/board";
export * from "./task/task-move";
export * from "./models/command";
export * from "./models/availability";
export * from "./models/model-list";
export * from "./town/throughput";
export * from "./auth/index";
export * from "./auth/cookies";
export * from "./dispatch/queue-ops";
export * from "./sessions/index";
