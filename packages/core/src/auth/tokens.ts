/**
 * API tokens for scripts and other tools: `tt:<town>:tokens`, a hash sha256(token) → JSON. The plaintext
 * (`tt_…`) is returned once, when the token is created, and never stored.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";

import { eventPlan } from "../channel/events";
import { CoreError, validationError } from "../errors";
import { applyPlan } from "../redis/atomic";
import { Actor } from "../refs";
import type { Town } from "../town/town";
import { Role, type Principal } from "./roles";
import { digest, newSecret } from "./secret";
import { UserName } from "./users";

export const TOKEN_PREFIX = "tt_";

export const ApiToken = z.object({
  id: z.string(),
  name: z.string(),
  role: Role,
  createdBy: z.string(),
  createdAt: z.number(),
});
export type ApiToken = z.infer<typeof ApiToken>;

export const CreateTokenInput = z.object({ name: UserName, role: Role, by: Actor });
export type CreateTokenInput = z.input<typeof CreateTokenInput>;

/** Creates a token; the returned `token` is the only copy of the secret. Token names are unique. */
export async function createToken(town: Town, input: CreateTokenInput): Promise<{ token: string; info: ApiToken }> {
  const parsed = CreateTokenInput.safeParse(input);
  if (!parsed.success) throw validationError("token", parsed.error.issues);
  const { name, role, by } = parsed.data;
  if ((await listTokens(town)).some((t) => t.name === name)) {
    throw new CoreError(
      "ALREADY_EXISTS",
      `a token named "${name}" already exists: revoke it first (tt token revoke ${name}) or pick another name`,
      { name },
    );
  }
  const token = TOKEN_PREFIX + newSecret();
  const info: ApiToken = { id: randomBytes(6).toString("hex"), name, role, createdBy: by, createdAt: Date.now() };
  await applyPlan(town.redis, {
    expect: [],
    hset: [{ key: town.keys.tokens, fields: { [digest(token)]: JSON.stringify(info) } }],
    event: eventPlan(town, "token.created", by, { token: name, tokenId: info.id, role }),
  });
  return { token, info };
}

export async function listTokens(town: Town): Promise<ApiToken[]> {
  const all = await town.redis.hvals(town.keys.tokens);
  return all.map((j) => ApiToken.parse(JSON.parse(j))).sort((a, b) => a.createdAt - b.createdAt);
}

/** Revokes a token by its id or its name; it stops working at once. */
export async function revokeToken(town: Town, input: { ref: string; by: string }): Promise<ApiToken> {
  const all = await town.redis.hgetall(town.keys.tokens);
  const ref = input.ref.trim();
  const hit = Object.entries(all)
    .map(([hash, json]) => [hash, ApiToken.parse(JSON.parse(json))] as const)
    .find(([, t]) => t.id === ref || t.name === ref.toLowerCase());
  if (!hit) throw new CoreError("NOT_FOUND", `no token "${ref}": see \`tt token list\``, { ref });
  const [hash, info] = hit;
  await applyPlan(town.redis, {
    expect: [],
    hdel: [{ key: town.keys.tokens, fields: [hash] }],
    event: eventPlan(town, "token.revoked", input.by, { token: info.name, tokenId: info.id }),
  });
  return info;
}

/** The principal of a bearer token, or null when it is not a live token of this town. */
export async function resolveToken(town: Town, token: string): Promise<Principal | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 256) return null;
  const json = await town.redis.hget(town.keys.tokens, digest(token));
  if (!json) return null;
  const info = ApiToken.parse(JSON.parse(json));
  return { kind: "token", name: info.name, role: info.role, tokenId: info.id };
}
