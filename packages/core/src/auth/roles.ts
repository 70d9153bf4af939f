import { z } from "zod";

import { CoreError } from "../errors";

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

/** Throws FORBIDDEN unless the principal's role may do `action`. */
export function assertCan(p: Principal, action: Action): void {
  if (!can(p.role, action)) {
    throw new CoreError(
      "FORBIDDEN",
      `${actorOf(p)} is ${article(p.role)} ${p.role}; this needs the ${roleFor(action)} role (ask an admin: tt user role ${p.kind === "user" ? p.name : "<name>"} ${roleFor(action)})`,
      {
        role: p.role,
        required: roleFor(action),
        action,
      },
    );
  }
}

const article = (role: Role) => (role === "operator" || role === "admin" ? "an" : "a");
