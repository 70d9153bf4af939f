import { z } from "zod";

import { CoreError } from "../errors";
import type { MessageType } from "../message/message";

/** Roles, weakest first: each role may do everything the ones before it may. */
export const ROLES = ["viewer", "operator", "admin"] as const;
export const Role = z.enum(ROLES, { error: () => `a role is one of ${ROLES.join(", ")}` });
export type Role = z.infer<typeof Role>;

/**
 * The one permission table: the weakest role allowed to do each action.
 * viewer reads; operator creates, moves and messages; admin also manages agents, users and settings.
 */
export const PERMISSIONS = {
  read: "viewer",
  "task.write": "operator",
  "message.send": "operator",
  "agent.manage": "admin",
  "user.manage": "admin",
  "settings.manage": "admin",
} as const satisfies Record<string, Role>;
export type Action = keyof typeof PERMISSIONS;

/** What each action covers, in words (docs/SECURITY.md shows this table; a test keeps the two equal). */
export const ACTION_SUMMARIES: Record<Action, string> = {
  read: "see the board, tasks, agents, logs, inboxes, queues, the audit log and live updates",
  "task.write": "create, assign, move, cancel and retry tasks",
  "message.send": "send messages to agents and the supervisor mailbox (urgent ones restart an agent's current run)",
  "agent.manage":
    "spawn, kill, interrupt, resume, close and restart agents; manage their queues; send control messages (shutdown)",
  "user.manage": "add and remove users, change roles and passwords, unlock sign-in, create and revoke tokens",
  "settings.manage": "change the town's settings",
};

/**
 * Message types that control an agent rather than inform it, and the action whose role sending one needs: the same
 * as doing it directly (`shutdown` closes the agent, like `agent.close`). Every other type needs `message.send`.
 */
export const MESSAGE_TYPE_ACTIONS: Partial<Record<MessageType, Action>> = { shutdown: "agent.manage" };

/** The action sending a message of `type` needs (shared by tRPC, MCP and every other sender). */
export function messageAction(type: MessageType | undefined): Action {
  return (type && MESSAGE_TYPE_ACTIONS[type]) || "message.send";
}

const rank = (role: Role) => ROLES.indexOf(role);

/** Whether `role` may do `action`. */
export function can(role: Role, action: Action): boolean {
  return rank(role) >= rank(PERMISSIONS[action]);
}

/** The weakest role that may do `action`. */
export function roleFor(action: Action): Role {
  return PERMISSIONS[action];
}

/**
 * Who is making a request: a signed-in person, an API token, or — with open access (loopback, no users) — an
 * unauthenticated caller known only by the display name it picked.
 */
export type Principal =
  | { kind: "user"; name: string; role: Role }
  | { kind: "token"; name: string; role: Role; tokenId: string }
  | { kind: "open"; name: string; role: "admin" };

/** The name recorded as `by` on every change the principal makes: "alice", "token:ci-bot", or a display name. */
export function actorOf(p: Principal): string {
  return p.kind === "token" ? `token:${p.name}` : p.name;
}

/** Throws FORBIDDEN unless the principal's role may do `action`; `what` names the thing refused in the message. */
export function assertCan(p: Principal, action: Action, what = "this"): void {
  if (!can(p.role, action)) {
    throw new CoreError(
      "FORBIDDEN",
      `${actorOf(p)} is ${article(p.role)} ${p.role}; ${what} needs the ${roleFor(action)} role (ask an admin: tt user role ${p.kind === "user" ? p.name : "<name>"} ${roleFor(action)})`,
      {
        role: p.role,
        required: roleFor(action),
        action,
      },
    );
  }
}

const article = (role: Role) => (role === "operator" || role === "admin" ? "an" : "a");

/** Throws FORBIDDEN unless the principal may send a message of `type` (see {@link MESSAGE_TYPE_ACTIONS}). */
export function assertCanSend(p: Principal, type: MessageType | undefined): void {
  const action = messageAction(type);
  assertCan(p, action, action === "message.send" ? "this" : `a ${type} message`);
}
